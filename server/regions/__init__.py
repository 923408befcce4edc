"""Regions: the county, its townships and their villages."""
