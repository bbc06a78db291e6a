"""Backups: `OVERSIGHT_BACKUP__*` (schedule, age recipients, where to, what, how long to keep).

The server holds only age *recipients* (public keys, `age1…`); a value that looks like an
identity (`AGE-SECRET-KEY-…`) is refused, so a private key cannot end up in the settings.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from oversight.config.base import LIST_FROM_TEXT, _Group
from oversight.config.storage import StorageTarget

_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_RECIPIENT = re.compile(r"^age1[02-9ac-hj-np-z]{58}$")
_SECRET_MARK = "AGE-SECRET-KEY-"  # noqa: S105 - the marker refused, not a secret
_SET = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class BackupSettings(_Group):
    """`oversight backup run` and its daily job; retention; drills."""

    # Local time (company time zone) of the daily backup, HH:MM.
    schedule: str = "01:30"
    # Cron line (company time zone) of the restore drill; weekly by default.
    drill_schedule: str = "0 4 * * 0"
    # age X25519 recipients (public keys); every backup is readable by any one of them.
    recipients: Annotated[tuple[str, ...], NoDecode, LIST_FROM_TEXT] = ()
    target: StorageTarget = StorageTarget(url="var/backups")
    # A separate credential for deleting old backups; the upload one then needs no delete.
    prune_target: StorageTarget | None = None
    # Where the encrypted archive is written before upload (kept until it is uploaded).
    staging_dir: Path = Path("var/backup-staging")
    files_dir: Path = Path("var/files")
    extra_paths: Annotated[tuple[Path, ...], NoDecode, LIST_FROM_TEXT] = ()
    # The backup set: objects live under `<set_name>/`; retention runs per set.
    set_name: str | None = None
    keep_daily: Annotated[int, Field(ge=0, le=10_000)] = 7
    keep_weekly: Annotated[int, Field(ge=0, le=10_000)] = 4
    keep_monthly: Annotated[int, Field(ge=0, le=10_000)] = 12
    upload_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    upload_backoff_seconds: Annotated[float, Field(ge=0, le=600)] = 2.0
    compression_level: Annotated[int, Field(ge=1, le=19)] = 3
    # The scheduled drill runs only where this is set: a drill host that holds the identity,
    # never the production server (which must not be able to read its own backups).
    drill_identity_file: Path | None = None
    # A scratch PostgreSQL server URL for drills of PostgreSQL backups (database created and
    # dropped per drill); SQLite backups are drilled into a temporary file.
    drill_database_url: str | None = None
    # Where pg_dump / pg_restore live (default: on PATH); they must match the server's version.
    pg_bin_dir: Path | None = None
    # `pg_restore --jobs` for restores and drills of PostgreSQL backups: 1 restores in one
    # transaction (all or nothing); more loads tables and builds indexes in parallel (faster
    # on a multi-core server; a failed restore then leaves a partial database for --force).
    restore_jobs: Annotated[int, Field(ge=1, le=64)] = 1
    rpo_hours: Annotated[float, Field(gt=0, le=24 * 30)] = 24.0

    @field_validator("schedule")
    @classmethod
    def _check_schedule(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError("expected a local time HH:MM, e.g. 01:30")
        return value

    @field_validator("recipients")
    @classmethod
    def _check_recipients(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for recipient in value:
            if _SECRET_MARK in recipient.upper():
                raise ValueError(
                    "an age identity (AGE-SECRET-KEY-…) is not a recipient: the server holds "
                    "only public keys (age1…); keep the identity offline"
                )
            if not _RECIPIENT.match(recipient):
                raise ValueError(f"not an age X25519 recipient (age1…): {recipient[:12]!r}…")
        return value

    @field_validator("set_name")
    @classmethod
    def _check_set(cls, value: str | None) -> str | None:
        if value is not None and not _SET.match(value):
            raise ValueError("lower-case letters, digits, - and _ only")
        return value

    @property
    def cron(self) -> str:
        """The daily schedule as a cron line."""
        hour, minute = self.schedule.split(":")
        return f"{int(minute)} {int(hour)} * * *"
