"""Backup metrics, in the process registry (`observability.metrics.REGISTRY`).

The alert rules read `oversight_backup_last_success_timestamp_seconds`,
`oversight_backup_newest_verified_age_seconds` (the RPO monitor) and
`oversight_backup_drill_last_success_timestamp_seconds`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from oversight.observability.metrics import REGISTRY

LAST_SUCCESS = Gauge(
    "oversight_backup_last_success_timestamp_seconds",
    "Unix time of the newest backup that was uploaded and verified.",
    registry=REGISTRY,
    multiprocess_mode="max",
)
DURATION = Gauge(
    "oversight_backup_duration_seconds",
    "How long the last successful backup run took.",
    registry=REGISTRY,
    multiprocess_mode="max",
)
SIZE = Gauge(
    "oversight_backup_size_bytes",
    "Size of the last backup's encrypted object.",
    registry=REGISTRY,
    multiprocess_mode="max",
)
FAILURES = Counter(
    "oversight_backup_failures",
    "Failed backup operations, by operation (run, verify, restore, drill, prune) and reason.",
    ("operation", "reason"),
    registry=REGISTRY,
)
NEWEST_AGE = Gauge(
    "oversight_backup_newest_verified_age_seconds",
    "RPO monitor: now minus the time of the newest verified backup (absent: none yet).",
    registry=REGISTRY,
    multiprocess_mode="max",
)
DRILL_LAST_SUCCESS = Gauge(
    "oversight_backup_drill_last_success_timestamp_seconds",
    "Unix time of the last successful restore drill.",
    registry=REGISTRY,
    multiprocess_mode="max",
)
VERIFIED_BACKUPS = Gauge(
    "oversight_backup_verified_backups",
    "Verified backups in the backup set.",
    registry=REGISTRY,
    multiprocess_mode="max",
)
ARCHIVE_LAST_SUCCESS = Gauge(
    "oversight_archive_last_success_timestamp_seconds",
    "Unix time of the last successful log and audit archive run.",
    registry=REGISTRY,
    multiprocess_mode="max",
)
ARCHIVE_SHIPPED_FILES = Counter(
    "oversight_archive_shipped_files",
    "Files shipped into encrypted archives, by kind (logs, audit).",
    ("kind",),
    registry=REGISTRY,
)
ARCHIVE_SHIPPED_BYTES = Counter(
    "oversight_archive_shipped_bytes",
    "Bytes of encrypted archive objects uploaded, by kind (logs, audit).",
    ("kind",),
    registry=REGISTRY,
)
ARCHIVES_STORED = Gauge(
    "oversight_archive_objects",
    "Complete archives held by the storage after the last run, by kind.",
    ("kind",),
    registry=REGISTRY,
    multiprocess_mode="max",
)
