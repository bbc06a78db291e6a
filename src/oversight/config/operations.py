"""The scheduler and the audit archive: `OVERSIGHT_JOBS__*`, `OVERSIGHT_AUDIT__*`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

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
