"""The storage monitor: `OVERSIGHT_STORAGE_MONITOR__*` (which remote folders to watch).

Each watched path is a `StorageTarget` with a `name` (the `path` label of the gauges and the
row key of `oversight storage report`), given as a JSON list::

    OVERSIGHT_STORAGE_MONITOR__PATHS='[{"name": "cpanel", "url": "sftp://acme@host/~/scans",
        "key_file": "/etc/oversight/sftp_key", "backlog_after_hours": 48}]'

The backup target is watched as `backups` unless `include_backup_target` is false.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, field_validator
from pydantic_settings import NoDecode

from oversight.config.base import _Group
from oversight.config.storage import StorageTarget

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,47}$")
BACKUP_PATH_NAME = "backups"


class MonitoredPath(StorageTarget):
    """A watched folder: where, with which credential, and what counts as backlog."""

    name: str
    # Files older than this many hours count as backlog (a folder that something should
    # drain: scans waiting to be collected, uploads not yet moved); None: no backlog gauge.
    backlog_after_hours: Annotated[float, Field(gt=0, le=24 * 366)] | None = None

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("lower-case letters, digits, - and _ only (at most 48)")
        return value


def _paths_from_text(value: Any) -> Any:
    """The environment gives a JSON list of objects; anything else is a validation error
    naming the variable (pydantic-settings' own decoding would name only the group)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value) if value.strip() else []
    except json.JSONDecodeError:
        raise ValueError('not a JSON list (write [{"name": "…", "url": "…"}])') from None


class StorageMonitorSettings(_Group):
    """`storage_monitor` job and `oversight storage report`."""

    paths: Annotated[tuple[MonitoredPath, ...], NoDecode, BeforeValidator(_paths_from_text)] = ()
    include_backup_target: bool = True
    # How often the job lists the paths (each run replaces the day's snapshot).
    interval_minutes: Annotated[int, Field(ge=5, le=24 * 60)] = 60
    # Days shown by `oversight storage report` unless --days says otherwise.
    report_days: Annotated[int, Field(ge=1, le=366)] = 14

    @field_validator("paths")
    @classmethod
    def _unique_names(cls, value: tuple[MonitoredPath, ...]) -> tuple[MonitoredPath, ...]:
        names = [path.name for path in value]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"path names must be unique: {', '.join(duplicates)}")
        return value
