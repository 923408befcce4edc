"""Users, their login sessions and authentication."""
