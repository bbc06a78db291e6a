"""Backups: dump, encrypt, upload, rotate, verify, restore, drill (see making.py, service.py)."""
