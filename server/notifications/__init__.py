"""In-app notifications for a user, synced to their phone."""
