"""The county's policy library (法规政策): published by county staff, read by liaisons
offline on their phones and by anyone at /f/policies."""
