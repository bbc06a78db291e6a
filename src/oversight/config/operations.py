"""The scheduler and the audit archive: `OVERSIGHT_JOBS__*`, `OVERSIGHT_AUDIT__*`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator

from oversight.config.base import _Group


class JobsSettings(_Group):
    """The scheduler: `oversight scheduler`."""

    workers: Annotated[int, Field(ge=1, le=32)] = 4
    leader_lock_id: int = 7_265_301
    leader_check_seconds: Annotated[float, Field(gt=0, le=3600)] = 15.0
    database_health_seconds: Annotated[float, Field(gt=0, le=86_400)] = 60.0


class AuditSettings(_Group):
    archive_dir: Path = Path("var/audit-archive")
    retention_years: Annotated[int, Field(ge=1, le=100)] = 7
    # Chain checkpoints, appended by the `audit_checkpoint` job; None switches the file off.
    # Keep it outside the database's folder (refused for SQLite), ideally on another disk.
    checkpoint_file: Path | None = Path("var/audit-anchor/checkpoints.jsonl")
    checkpoint_minutes: Annotated[int, Field(ge=1, le=1440)] = 60

    @field_validator("checkpoint_file", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return None if value == "" else value
