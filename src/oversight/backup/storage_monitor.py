"""The storage monitor: list each watched folder through the storage interface, keep one
snapshot per path and day, export the gauges, and read the trend back.

Backlog: for the backup target (`backups`), the backups staged on this server and not yet
uploaded (a failed upload keeps them until it succeeds); for a watched path that sets
`backlog_after_hours`, its files older than that (something should have collected them).

Works on any backend (`oversight.storage`): SFTP (a cPanel account needs no agent), Drive,
S3, local. A path that cannot be listed is logged, counted and skipped; the others still
get their snapshot.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from prometheus_client import Counter as MetricCounter
from prometheus_client import Gauge
from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.backup import staging as stage
from oversight.config import Settings
from oversight.config.storage_monitor import BACKUP_PATH_NAME, MonitoredPath
from oversight.kit.clock import utcnow
from oversight.observability.logging import get_logger
from oversight.observability.metrics import REGISTRY
from oversight.storage import ObjectInfo, StorageError, open_storage
from oversight.storage_monitor.models import StorageSnapshot

log = get_logger("oversight.backup.storage_monitor")
Clock = Callable[[], datetime]
TOP_LEVEL = "."

FILES = Gauge(
    "oversight_storage_files",
    "Files in a watched storage path at its last listing.",
    ("path",),
    registry=REGISTRY,
    multiprocess_mode="max",
)
BYTES = Gauge(
    "oversight_storage_bytes",
    "Bytes in a watched storage path at its last listing.",
    ("path",),
    registry=REGISTRY,
    multiprocess_mode="max",
)
BACKLOG = Gauge(
    "oversight_storage_backlog_files",
    "Files waiting: for `backups`, backups staged here and not yet uploaded; for a watched "
    "path with backlog_after_hours, its files older than that.",
    ("path",),
    registry=REGISTRY,
    multiprocess_mode="max",
)
OLDEST_AGE = Gauge(
    "oversight_storage_oldest_file_age_seconds",
    "Age of the least recently modified file in a watched path.",
    ("path",),
    registry=REGISTRY,
    multiprocess_mode="max",
)
LAST_SCAN = Gauge(
    "oversight_storage_last_scan_timestamp_seconds",
    "Unix time of the last successful listing of a watched path.",
    ("path",),
    registry=REGISTRY,
    multiprocess_mode="max",
)
SCAN_FAILURES = MetricCounter(
    "oversight_storage_scan_failures",
    "Listings of a watched path that failed.",
    ("path",),
    registry=REGISTRY,
)


def watched_paths(settings: Settings) -> list[MonitoredPath]:
    """The configured paths, with the backup target first as `backups` (unless excluded or
    a configured path already has that name)."""
    monitor = settings.storage_monitor
    paths = list(monitor.paths)
    if monitor.include_backup_target and all(p.name != BACKUP_PATH_NAME for p in paths):
        target = settings.backup.target.model_dump()
        paths.insert(0, MonitoredPath(name=BACKUP_PATH_NAME, **target))
    return paths


@dataclass(frozen=True, slots=True)
class Listing:
    """What one listing found (see `StorageSnapshot`)."""

    files: int
    bytes: int
    backlog_files: int | None
    newest: ObjectInfo | None
    oldest: ObjectInfo | None
    folders: dict[str, int]


def summarise(
    objects: Iterable[ObjectInfo], *, now: datetime, backlog_after: timedelta | None
) -> Listing:
    """Count, sum and date the objects; `backlog_after` None: no backlog count."""
    files = size = backlog = 0
    newest: ObjectInfo | None = None
    oldest: ObjectInfo | None = None
    folders: Counter[str] = Counter()
    for info in objects:
        files += 1
        size += info.size
        folders[info.name.split("/", 1)[0] if "/" in info.name else TOP_LEVEL] += 1
        if newest is None or info.modified > newest.modified:
            newest = info
        if oldest is None or info.modified < oldest.modified:
            oldest = info
        if backlog_after is not None and now - info.modified > backlog_after:
            backlog += 1
    return Listing(
        files=files,
        bytes=size,
        backlog_files=backlog if backlog_after is not None else None,
        newest=newest,
        oldest=oldest,
        folders=dict(sorted(folders.items())),
    )


@dataclass(frozen=True, slots=True)
class ScanResult:
    path: str
    listing: Listing | None
    error: str | None = None


def scan(session: Session, settings: Settings, *, clock: Clock = utcnow) -> list[ScanResult]:
    """List every watched path, store today's snapshot of each (replacing an earlier one of
    the same day) and export the gauges. Only `flush()`es; the caller commits."""
    results = []
    staging = settings.backup.staging_dir
    for path in watched_paths(settings):
        now = clock()
        backlog_after = (
            timedelta(hours=path.backlog_after_hours) if path.backlog_after_hours else None
        )
        try:
            with open_storage(path) as storage:
                listing = summarise(storage.list_objects(), now=now, backlog_after=backlog_after)
            if path.name == BACKUP_PATH_NAME and backlog_after is None:
                listing = replace(listing, backlog_files=len(stage.pending(staging)))
        except StorageError as error:
            SCAN_FAILURES.labels(path.name).inc()
            log.warning("storage_scan_failed", path=path.name, reason=str(error))
            results.append(ScanResult(path.name, None, str(error)))
            continue
        day = now.astimezone(settings.company.calendar.timezone).date()
        _store(session, path.name, day, now, listing)
        _export(path.name, now, listing)
        log.info("storage_scanned", path=path.name, files=listing.files, bytes=listing.bytes)
        results.append(ScanResult(path.name, listing))
    session.flush()
    return results


def _store(session: Session, path: str, day: date, now: datetime, listing: Listing) -> None:
    row = session.scalars(
        select(StorageSnapshot).where(StorageSnapshot.path == path, StorageSnapshot.day == day)
    ).one_or_none()
    if row is None:
        row = StorageSnapshot(path=path, day=day)
        session.add(row)
    row.taken_at = now
    row.files = listing.files
    row.bytes = listing.bytes
    row.backlog_files = listing.backlog_files
    row.newest_name = listing.newest.name[:1024] if listing.newest else None
    row.newest_at = listing.newest.modified if listing.newest else None
    row.oldest_name = listing.oldest.name[:1024] if listing.oldest else None
    row.oldest_at = listing.oldest.modified if listing.oldest else None
    row.folders = listing.folders


def _export(path: str, now: datetime, listing: Listing) -> None:
    FILES.labels(path).set(listing.files)
    BYTES.labels(path).set(listing.bytes)
    LAST_SCAN.labels(path).set(now.timestamp())
    if listing.backlog_files is not None:
        BACKLOG.labels(path).set(listing.backlog_files)
    if listing.oldest is not None:
        OLDEST_AGE.labels(path).set(max(0.0, (now - listing.oldest.modified).total_seconds()))


def trend(
    session: Session,
    *,
    days: int,
    today: date,
    path: str | None = None,
) -> dict[str, list[StorageSnapshot]]:
    """Snapshots of the last `days` days up to `today`, per path (by name), oldest first."""
    query = select(StorageSnapshot).where(
        StorageSnapshot.day > today - timedelta(days=days), StorageSnapshot.day <= today
    )
    if path is not None:
        query = query.where(StorageSnapshot.path == path)
    found: dict[str, list[StorageSnapshot]] = {}
    for row in session.scalars(query.order_by(StorageSnapshot.path, StorageSnapshot.day)):
        found.setdefault(row.path, []).append(row)
    return found
