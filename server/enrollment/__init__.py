"""Enrollment slips: a printed one-time QR code that signs a liaison's phone in."""
