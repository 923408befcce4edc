"""Ledgers (台账) as Excel workbooks, written by a background job with progress."""
