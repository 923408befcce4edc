"""What the county watches: the monthly dashboard and the bureau's monthly report (PDF)."""
