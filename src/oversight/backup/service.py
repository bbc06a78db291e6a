"""Backup operations as the entry points use them: each one logged, counted, audited.

Callers (CLI commands, jobs) provide the session for the audit event and commit; a failure
is recorded with `survive_rollback` and re-raised as a `BackupError` with one line.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyrage
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from oversight.audit.events import record_event
from oversight.backup import metrics
from oversight.backup.errors import BackupError, BackupNotFound, NoSpace
from oversight.backup.making import RunOutcome, run_backup, set_name_for
from oversight.backup.manifest import Entry, Manifest, catalogue, manifest_name, object_name
from oversight.backup.restore import RestoreReport, restore
from oversight.backup.retention import Candidate, Plan, Policy, plan
from oversight.backup.verify import Outcome, VerifyFailed, download, verify_archive
from oversight.config import Settings
from oversight.kit.clock import utcnow
from oversight.observability.logging import get_logger
from oversight.storage import Storage, StorageError, open_storage

log = get_logger("oversight.backup")
Clock = Callable[[], datetime]
DRILLS = "drills"


def engine_of(session: Session) -> Engine:
    bind = session.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def set_name(settings: Settings, engine: Engine) -> str:
    return set_name_for(settings.backup, settings.env.value, engine)


def failed(
    session: Session | None, operation: str, error: BaseException, **details: object
) -> None:
    reason = (
        "no_space"
        if isinstance(error, NoSpace)
        else (error.outcome.value if isinstance(error, VerifyFailed) else "error")
    )
    metrics.FAILURES.labels(operation, reason).inc()
    log.error(
        f"backup_{operation}_failed",
        action=f"backup_{operation}",
        status="failure",
        reason=reason,
        detail=str(error),
        **details,
    )
    if session is not None:
        record_event(
            session,
            f"backup.{operation}_failed",
            entity_type="backup",
            details={"reason": reason, "error": str(error), **details},
            survive_rollback=True,
        )


def record_failure(
    operation: str, error: BaseException, *, session: Session | None = None, **details: object
) -> None:
    """Log, count and (with a session) audit a failure that happened outside a service call."""
    failed(session, operation, error, **details)


def run(session: Session, settings: Settings, *, prune: bool = True) -> RunOutcome:
    """Make, upload and verify a backup; then apply retention (only after that succeeded)."""
    engine = engine_of(session)
    backup_set = set_name(settings, engine)
    try:
        with open_storage(settings.backup.target) as storage:
            outcome = run_backup(
                settings=settings.backup, engine=engine, storage=storage, set_name=backup_set
            )
    except (BackupError, StorageError) as error:
        failed(session, "run", error, set=backup_set)
        raise error if isinstance(error, BackupError) else BackupError(str(error)) from None
    manifest = outcome.manifest
    metrics.LAST_SUCCESS.set(manifest.created_at.timestamp())
    metrics.DURATION.set(outcome.duration_seconds)
    metrics.SIZE.set(manifest.ciphertext_size)
    record_event(
        session,
        "backup.completed",
        entity_type="backup",
        entity_id=manifest.id,
        details={
            "set": backup_set,
            "size": manifest.ciphertext_size,
            "files": manifest.files,
            "duration_s": round(outcome.duration_seconds, 3),
            "cleaned": outcome.cleaned,
            "uploaded_pending": outcome.uploaded_pending,
        },
    )
    log.info(
        "backup_completed",
        action="backup_run",
        status="success",
        backup=manifest.id,
        size=manifest.ciphertext_size,
        duration_ms=round(outcome.duration_seconds * 1000),
    )
    if prune:
        apply_retention(session, settings, engine, dry_run=False)
    return outcome


def policy_of(settings: Settings) -> Policy:
    backup = settings.backup
    return Policy(daily=backup.keep_daily, weekly=backup.keep_weekly, monthly=backup.keep_monthly)


def plan_retention(
    storage: Storage, settings: Settings, backup_set: str, now: datetime
) -> tuple[Plan, list[Entry]]:
    entries = catalogue(storage, backup_set)
    candidates = [Candidate(entry.id, entry.time, entry.verified) for entry in entries]
    return plan(
        candidates, policy_of(settings), timezone=settings.company.calendar.timezone, now=now
    ), entries


def apply_retention(
    session: Session | None,
    settings: Settings,
    engine: Engine,
    *,
    dry_run: bool,
    clock: Clock = utcnow,
) -> Plan:
    """Plan retention for this set, log the plan, and (unless `dry_run`) delete what it removes
    — only if today's backup (company time zone) is verified. Deletion uses the prune
    credential when one is configured."""
    backup_set = set_name(settings, engine)
    now = clock()
    target = settings.backup.prune_target or settings.backup.target
    with open_storage(target) as storage:
        the_plan, entries = plan_retention(storage, settings, backup_set, now)
        log.info(
            "backup_retention_plan",
            set=backup_set,
            dry_run=dry_run,
            keep=sorted(the_plan.keep),
            remove=sorted(the_plan.remove),
        )
        if dry_run or not the_plan.remove:
            return the_plan
        timezone = settings.company.calendar.timezone
        today = now.astimezone(timezone).date()
        if not any(
            e.verified and e.time.astimezone(timezone).date() == today and e.time <= now
            for e in entries
        ):
            error = BackupError(
                "prune refused: no verified backup from today yet (run a backup first)"
            )
            failed(session, "prune", error, set=backup_set)
            raise error
        for backup_id in sorted(the_plan.remove):
            storage.delete(manifest_name(backup_set, backup_id))  # first: the backup stops existing
            storage.delete(object_name(backup_set, backup_id))
    if session is not None:
        record_event(
            session,
            "backup.pruned",
            entity_type="backup",
            details={"set": backup_set, "removed": sorted(the_plan.remove)},
        )
    return the_plan


def verified_manifests(settings: Settings, engine: Engine) -> list[Entry]:
    with open_storage(settings.backup.target) as storage:
        return catalogue(storage, set_name(settings, engine))


@dataclass(frozen=True, slots=True)
class VerifyReport:
    backup_id: str
    outcome: Outcome
    detail: str


def verify(
    session: Session | None,
    settings: Settings,
    engine: Engine,
    backup_id: str,
    identities: list[pyrage.x25519.Identity],
) -> VerifyReport:
    """Download, compare, decrypt, unpack and check backup `backup_id`; nothing changes."""
    from oversight.backup.manifest import find

    backup_set = set_name(settings, engine)
    try:
        with open_storage(settings.backup.target) as storage:
            manifest = find(storage, backup_set, backup_id)
            with scratch_folder(settings) as scratch:
                archive = download(storage, manifest, scratch)
                verify_archive(archive, identities, manifest, scratch, settings.backup.pg_bin_dir)
    except (BackupError, StorageError) as error:
        if isinstance(error, VerifyFailed):
            outcome, detail = error.outcome, str(error)
        else:
            outcome = (
                Outcome.file_missing if isinstance(error, BackupNotFound) else Outcome.other_error
            )
            detail = f"{outcome.value}: {error}"
        failed(session, "verify", error, backup=backup_id)
        return VerifyReport(backup_id, outcome, detail)
    if session is not None:
        record_event(
            session,
            "backup.verified",
            entity_type="backup",
            entity_id=backup_id,
            details={"outcome": "ok"},
        )
    return VerifyReport(backup_id, Outcome.ok, "ok")


@contextlib.contextmanager
def scratch_folder(settings: Settings) -> Iterator[Path]:
    """A temporary folder under the staging folder (same disk as the staged archives)."""
    settings.backup.staging_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="scratch-", dir=settings.backup.staging_dir) as name:
        yield Path(name)


def restore_backup(
    *,
    settings: Settings,
    manifest: Manifest,
    storage: Storage,
    identities: list[pyrage.x25519.Identity],
    target: Engine,
    files_dir: Path | None,
    force: bool,
) -> RestoreReport:
    """Restore and record the restore as an audit event in the restored database."""
    from oversight.db.session import session_factory, unit_of_work

    report = restore(
        storage=storage,
        manifest=manifest,
        identities=identities,
        engine=target,
        files_dir=files_dir,
        force=force,
        scratch_root=settings.backup.staging_dir,
        bin_dir=settings.backup.pg_bin_dir,
        jobs=settings.backup.restore_jobs,
    )
    with unit_of_work(session_factory(target)) as session:
        record_event(
            session,
            "backup.restored",
            entity_type="backup",
            entity_id=manifest.id,
            details={
                "replaced": report.replaced,
                "forced": force,
                "rows": report.rows,
                "migrated_to": report.migrated_to,
            },
        )
    return report
