"""The backup error family: one line each, for the CLI, the log and the audit event."""

from __future__ import annotations


class BackupError(Exception):
    """A backup, verification, restore or drill failed; the message is one line."""


class NoSpace(BackupError):
    """The staging disk or the storage is full: permanent, reported once, never retried."""


class RestoreRefused(BackupError):
    """The restore target is not empty (and --force was not given), or does not fit."""


class BackupNotFound(BackupError):
    """No backup (no manifest) under that id in the set."""
