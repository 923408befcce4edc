"""Health files (健康档案) and dated health events."""
