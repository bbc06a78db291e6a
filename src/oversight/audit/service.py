"""Operations on the trail as a whole: verify, export, archive, purge old archives. Each one
is itself recorded in the trail. Callers provide the unit of work (and commit)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from oversight.audit import quarantine
from oversight.audit.archive import ArchiveResult, archive_before, archive_files
from oversight.audit.chain import ChainHead, Verification, read_head
from oversight.audit.checkpoints import Checkpoint, CheckpointPublisher
from oversight.audit.errors import AuditChainInconsistent
from oversight.audit.events import record_event
from oversight.audit.export import ExportFormat, export_lines
from oversight.audit.models import AuditVerification
from oversight.audit.quarantine import QuarantineResult
from oversight.audit.repository import AuditFilters
from oversight.audit.verification import verify_chain
from oversight.kit.clock import utcnow
from oversight.kit.context import current_context

VERIFIED = "audit.verified"


def verify(
    session: Session,
    archive_dir: Path | None,
    *,
    checkpoints: Sequence[Checkpoint] = (),
) -> Verification:
    """Verify the whole chain, through every known checkpoint, and record the outcome in
    `audit_verifications` (what monitoring reads). Only an intact chain also gets an
    `audit.verified` event: judging the chain never depends on writing into it."""
    result = verify_chain(
        session.connection(), archive_dir, checkpoints=[c.head for c in checkpoints]
    )
    record_verification(session, result)
    if result.ok:
        try:
            with session.begin_nested():
                record_event(session, VERIFIED, details=_described(result))
        except AuditChainInconsistent:
            pass  # a row past the head arrived after the walk; the next verification names it
    return result


def _described(result: Verification) -> dict[str, object]:
    return {
        "ok": result.ok,
        "events_checked": result.events_checked,
        "last_id": result.last_id,
        "checkpoints_checked": result.checkpoints_checked,
        "broken": None if result.broken is None else result.broken.describe(),
    }


def record_verification(session: Session, result: Verification) -> None:
    """Keep the outcome of a verification outside the chain."""
    session.add(
        AuditVerification(
            verified_at=utcnow(),
            origin=current_context().origin[:64],
            ok=result.ok,
            events_checked=result.events_checked,
            last_id=result.last_id,
            last_hash=result.last_hash,
            checkpoints_checked=result.checkpoints_checked,
            problem=None if result.broken is None else result.broken.describe(),
        )
    )
    session.flush()


def current_checkpoint(session: Session) -> Checkpoint | None:
    """The chain's recorded head as a checkpoint (position, hash, now), for anything that
    carries checkpoints out of the database — the backup manifest, an admin message. None
    while the trail is empty. It is the head as recorded, not a verification: `audit verify`
    later checks the chain against it like any other checkpoint."""
    current = read_head(session.connection())  # committed together with its events
    if current.last_id == 0:
        return None
    return Checkpoint(current.last_id, current.last_hash, utcnow())


@dataclass(frozen=True, slots=True)
class CheckpointRun:
    verification: Verification
    published: Checkpoint | None


def publish_checkpoint(
    session: Session,
    *,
    known: Sequence[Checkpoint],
    publishers: Sequence[CheckpointPublisher],
    archive_dir: Path | None,
) -> CheckpointRun:
    """Verify the chain since the newest `known` checkpoint (all of it when there is none),
    then publish the current head to every publisher — never a head of a chain that failed.

    A failure is recorded in `audit_verifications` (monitoring alerts on it); a pass is not,
    since it checked only the events since the last checkpoint (the nightly full verification
    reports on the whole chain)."""
    last = max(known, key=lambda c: c.position) if known else None
    result = verify_chain(
        session.connection(),
        archive_dir,
        checkpoints=[c.head for c in known],
        since=None if last is None else last.head,
    )
    if not result.ok:
        record_verification(session, result)
        return CheckpointRun(result, None)
    # What the walk verified, not the head re-read afterwards: an event appended since then
    # waits for the next checkpoint.
    if result.last_id == 0 or (last is not None and result.last_id <= last.position):
        return CheckpointRun(result, None)
    checkpoint = Checkpoint(result.last_id, result.last_hash, utcnow())
    for publisher in publishers:
        publisher.publish(checkpoint)
    return CheckpointRun(result, checkpoint)


def head(session: Session) -> ChainHead:
    return read_head(session.connection())


def export(
    session: Session, filters: AuditFilters, fmt: ExportFormat, *, destination: str
) -> Iterator[str]:
    """Record the export, then yield its text; the caller writes it where it belongs."""
    record_event(
        session,
        "audit.exported",
        details={"format": fmt.value, "filters": filters.described(), "to": destination},
    )
    return export_lines(session.connection(), filters, fmt)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def archive(session: Session, before: date, directory: Path) -> ArchiveResult | None:
    """Move events older than `before` into `directory`; record what moved where."""
    result = archive_before(session.connection(), before, directory)
    if result is not None:
        record_event(
            session,
            "audit.archived",
            details={
                "before": before.isoformat(),
                "first_id": result.first_id,
                "last_id": result.last_id,
                "count": result.count,
                "files": {path.name: _sha256(path) for path in result.files},
            },
        )
    return result


def quarantine_tail(session: Session, directory: Path) -> QuarantineResult | None:
    """Move rows past the recorded head into an evidence file in `directory` (so the chain
    accepts appends again) and record the move, with the file's SHA-256, in the chain."""
    result = quarantine.quarantine_tail(session.connection(), directory)
    if result is not None:
        record_event(
            session,
            "audit.tail_quarantined",
            details={
                "first_id": result.first_id,
                "last_id": result.last_id,
                "count": result.count,
                "file": {result.path.name: _sha256(result.path)},
            },
        )
    return result


@dataclass(frozen=True, slots=True)
class PurgeResult:
    removed: list[Path]
    kept_from_id: int | None


def purge_archives(session: Session, directory: Path, *, older_than: date) -> PurgeResult:
    """Delete archive files whose newest event is older than `older_than` (the retention
    boundary). Only whole files go, oldest first, so the remaining archives still chain."""
    removed: list[Path] = []
    archives = archive_files(directory)
    for archive in archives:
        if _newest_month(archive.path) >= (older_than.year, older_than.month):
            break
        removed.append(archive.path)
    if removed:
        record_event(
            session,
            "audit.archives_purged",
            details={
                "older_than": older_than.isoformat(),
                "files": {path.name: _sha256(path) for path in removed},
            },
        )
        for path in removed:
            path.unlink()
    remaining = archive_files(directory)
    return PurgeResult(removed, remaining[0].first_id if remaining else None)


def _newest_month(path: Path) -> tuple[int, int]:
    _, year, month, _ = path.name.split("-", 3)
    return int(year), int(month)
