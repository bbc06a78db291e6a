"""Operations on the trail as a whole: verify, export, archive, purge old archives. Each one
is itself recorded in the trail. Callers provide the unit of work (and commit)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from oversight.audit.archive import ArchiveResult, archive_before, archive_files
from oversight.audit.chain import ChainHead, Verification, read_head
from oversight.audit.events import record_event
from oversight.audit.export import ExportFormat, export_lines
from oversight.audit.repository import AuditFilters
from oversight.audit.verification import verify_chain

VERIFIED = "audit.verified"


def verify(session: Session, archive_dir: Path | None) -> Verification:
    """Verify the whole chain and record the outcome (the latest `audit.verified` event is
    what monitoring reads)."""
    result = verify_chain(session.connection(), archive_dir)
    record_event(
        session,
        VERIFIED,
        details={
            "ok": result.ok,
            "events_checked": result.events_checked,
            "last_id": result.last_id,
            "broken": None if result.broken is None else result.broken.describe(),
        },
    )
    return result


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
