"""Visits of the five home services (五上门) and the monthly visit tasks."""
