"""The audit log: every change, every login event, every read of a full ID number."""
