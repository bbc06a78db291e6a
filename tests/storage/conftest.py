"""Fixtures of the storage suite: the servers and the per-backend harness (see
`tests/support/storage_harness.py`)."""

from storage_harness import drive, drive_keys, harness, seaweed, sshd

__all__ = ["drive", "drive_keys", "harness", "seaweed", "sshd"]
