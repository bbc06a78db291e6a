"""`oversight backup archive` and its monthly job: ship old log files and new audit archives,
encrypted, to the backup storage, and apply their retention (see `shipping` for the layout).

- Logs: files matching `archives.log_paths` (default: the rotated `<log_file>.*`) not written
  for `logs_hot_days` are shipped in one archive, then removed here once it is verified.
  Archived logs are deleted from the storage after `logs_keep_days`.
- Audit: every audit archive (`audit-*.jsonl.gz` in `audit.archive_dir`) not yet shipped is
  shipped once; the local file stays (the audit trail's own purge owns it). Shipped audit
  archives are deleted from the storage after `audit_keep_days` (7 years).

Each run is an audit event (`backup.archived`, or `backup.archive_failed`) and exports
`oversight_archive_*` metrics. Services only flush: the caller commits.
"""

from __future__ import annotations

import contextlib
import glob
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from oversight.audit.archive import archive_files
from oversight.audit.events import record_event
from oversight.backup import metrics
from oversight.backup import staging as stage
from oversight.backup.crypto import parse_recipients
from oversight.backup.errors import BackupError
from oversight.backup.service import engine_of, failed, set_name
from oversight.backup.shipping import ArchiveIndex, describe, expired, read_shelf, remove, ship
from oversight.config import Settings
from oversight.kit.clock import utcnow
from oversight.observability.logging import get_logger
from oversight.storage import StorageError, open_prune_storage, open_storage

log = get_logger("oversight.backup.archives")
Clock = Callable[[], datetime]
LOGS, AUDIT = "logs", "audit"


def log_candidates(settings: Settings, now: datetime) -> list[Path]:
    """Log files past their hot period, oldest first; the live log file never."""
    patterns = list(settings.archives.log_paths)
    live = settings.observability.log_file
    if not patterns and live:
        patterns = [f"{glob.escape(live)}.*"]
    cutoff = (now - timedelta(days=settings.archives.logs_hot_days)).timestamp()
    found: dict[Path, float] = {}
    for pattern in patterns:
        for name in glob.glob(pattern):
            path = Path(name)
            if live and path.resolve() == Path(live).resolve():
                continue
            with contextlib.suppress(OSError):
                if path.is_file() and (modified := path.stat().st_mtime) < cutoff:
                    found[path] = modified
    return sorted(found, key=lambda path: (found[path], path.name))


@dataclass
class ArchiveReport:
    """What one run shipped and removed."""

    logs: ArchiveIndex | None = None
    audit: ArchiveIndex | None = None
    logs_removed_locally: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    leftovers_removed: list[str] = field(default_factory=list)


def run_archives(session: Session, settings: Settings, *, clock: Clock = utcnow) -> ArchiveReport:
    """Ship, clean and expire; record the audit event. `BackupError` (one line) on failure,
    after recording `backup.archive_failed` (which survives the caller's rollback)."""
    backup_set = set_name(settings, engine_of(session))
    try:
        report = _run(settings, backup_set, clock())
    except (BackupError, StorageError) as error:
        failed(session, "archive", error, set=backup_set)
        raise error if isinstance(error, BackupError) else BackupError(str(error)) from None
    metrics.ARCHIVE_LAST_SUCCESS.set(clock().timestamp())
    for kind, index in ((LOGS, report.logs), (AUDIT, report.audit)):
        if index is not None:
            metrics.ARCHIVE_SHIPPED_FILES.labels(kind).inc(len(index.members))
            metrics.ARCHIVE_SHIPPED_BYTES.labels(kind).inc(index.ciphertext_size)
    record_event(
        session,
        "backup.archived",
        entity_type="backup",
        details={
            "set": backup_set,
            "logs": describe(report.logs),
            "audit": describe(report.audit),
            "logs_removed_locally": len(report.logs_removed_locally),
            "expired": report.expired,
            "leftovers_removed": report.leftovers_removed,
        },
    )
    log.info(
        "archives_completed",
        action="backup_archive",
        status="success",
        logs=len(report.logs.members) if report.logs else 0,
        audit=len(report.audit.members) if report.audit else 0,
        expired=len(report.expired),
    )
    return report


def _run(settings: Settings, backup_set: str, now: datetime) -> ArchiveReport:
    backup = settings.backup
    recipients = parse_recipients(backup.recipients)
    report = ArchiveReport()
    with stage.locked(backup.staging_dir):
        staging = backup.staging_dir / settings.archives.staging_subdir
        shutil.rmtree(staging, ignore_errors=True)  # a killed run's leftovers: never resumed
        stage.make_dir(staging)
        with open_storage(backup.target) as storage:
            # This run holds the staging lock: no upload of ours is in flight.
            storage.clean_partials(older_than=timedelta(0))
            shelves = {kind: read_shelf(storage, backup_set, kind) for kind in (LOGS, AUDIT)}
            for shelf in shelves.values():
                for name in shelf.leftovers:
                    try:
                        storage.delete(name)
                        report.leftovers_removed.append(name)
                    except StorageError as error:
                        log.warning("archive_leftover_kept", object=name, reason=str(error))
            common = {
                "settings": backup,
                "storage": storage,
                "set_name": backup_set,
                "recipients": recipients,
                "staging": staging,
                "now": now,
            }
            logs = log_candidates(settings, now)
            if logs:
                report.logs = ship(kind=LOGS, sources=logs, **common)  # type: ignore[arg-type]
                for path in logs:
                    path.unlink(missing_ok=True)
                    report.logs_removed_locally.append(path.name)
            shipped = shelves[AUDIT].shipped_names
            audit = [
                found.path
                for found in archive_files(settings.audit.archive_dir)
                if found.path.name not in shipped
            ]
            if audit:
                report.audit = ship(kind=AUDIT, sources=audit, **common)  # type: ignore[arg-type]
        shutil.rmtree(staging, ignore_errors=True)
    report.expired = _expire(settings, backup_set, now)
    return report


def _expire(settings: Settings, backup_set: str, now: datetime) -> list[str]:
    """Delete archives past their retention, with the prune credential when one is set."""
    keep = {LOGS: settings.archives.logs_keep_days, AUDIT: settings.archives.audit_keep_days}
    removed: list[str] = []
    with open_prune_storage(settings.backup.target, settings.backup.prune_target) as storage:
        for kind, days in keep.items():
            shelf = read_shelf(storage, backup_set, kind)
            old = expired(shelf, now=now, keep_days=days)
            for index in old:
                remove(storage, index, backup_set)
                removed.append(index.object)
            metrics.ARCHIVES_STORED.labels(kind).set(len(shelf.indexes) - len(old))
    return removed
