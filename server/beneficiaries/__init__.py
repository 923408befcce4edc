"""Entitled persons (优抚对象)."""
