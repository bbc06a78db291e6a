"""Archiving: events older than a date move from the hot table into monthly gzip-compressed
JSONL files that carry the chain's boundary hashes, through the one path the database allows.

File layout (`audit-YYYY-MM-<first id>.jsonl.gz`): a header line
`{"archive": 1, "first_id", "last_id", "prev_hash", "last_hash", "count"}`, then one stored
event per line, exactly as it was in the table.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from oversight.audit import chain
from oversight.audit.models import AuditArchivePermit, AuditEvent

ARCHIVE_GLOB = "audit-*.jsonl.gz"


@dataclass(frozen=True, slots=True)
class ArchiveFile:
    path: Path
    first_id: int
    last_id: int
    prev_hash: str
    last_hash: str
    count: int


def _header(path: Path) -> ArchiveFile:
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        head = json.loads(stream.readline())
    return ArchiveFile(
        path, head["first_id"], head["last_id"], head["prev_hash"], head["last_hash"], head["count"]
    )


def archive_files(directory: Path | None) -> list[ArchiveFile]:
    """The archives in `directory`, in chain order."""
    if directory is None or not directory.exists():
        return []
    return sorted(
        (_header(path) for path in directory.glob(ARCHIVE_GLOB)), key=lambda a: a.first_id
    )


def archived_events(archive: ArchiveFile) -> Iterator[tuple[Any, ...]]:
    """The archive's events as STORED_FIELDS tuples, in chain order."""
    with gzip.open(archive.path, "rt", encoding="utf-8") as stream:
        stream.readline()
        for line in stream:
            event = json.loads(line)
            yield tuple(event[field] for field in chain.STORED_FIELDS)


def _serialisable(event: dict[str, Any]) -> dict[str, Any]:
    return {**event, "occurred_at": chain.render_instant(event["occurred_at"])}


@dataclass(frozen=True, slots=True)
class ArchiveResult:
    files: list[Path]
    first_id: int
    last_id: int
    count: int


def archive_before(connection: Connection, before: date, directory: Path) -> ArchiveResult | None:
    """Move every event that occurred before `before` (UTC midnight) into monthly files.

    Only the oldest contiguous run of events moves, so the table always holds the chain's
    continuation. Files are written and synced before the rows are deleted; the caller's
    transaction then records an `audit.archived` event and commits.
    """
    chain.lock_chain(connection)
    cutoff = datetime(before.year, before.month, before.day, tzinfo=UTC)
    columns = [getattr(AuditEvent, name) for name in (*chain.HASHED_FIELDS, "prev_hash", "hash")]
    rows = connection.execute(
        select(*columns).where(AuditEvent.occurred_at < cutoff).order_by(AuditEvent.id)
    ).mappings()
    directory.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    month: tuple[int, int] | None = None
    batch: list[dict[str, Any]] = []
    first_id = last_id = count = 0

    def flush() -> None:
        if not batch:
            return
        first, last = batch[0], batch[-1]
        path = directory / f"audit-{month[0]:04d}-{month[1]:02d}-{first['id']:012d}.jsonl.gz"  # type: ignore[index]
        header = {
            "archive": 1, "first_id": first["id"], "last_id": last["id"],
            "prev_hash": first["prev_hash"], "last_hash": last["hash"], "count": len(batch),
        }  # fmt: skip
        with gzip.open(path, "wt", encoding="utf-8") as stream:
            stream.write(chain.canonical_json(header) + "\n")
            for event in batch:
                stream.write(chain.canonical_json(_serialisable(event)) + "\n")
        files.append(path)
        batch.clear()

    for row in rows:
        event = dict(row)
        if count and event["id"] != last_id + 1:
            break
        event_month = (event["occurred_at"].year, event["occurred_at"].month)
        if event_month != month:
            flush()
            month = event_month
        batch.append(event)
        first_id = first_id or event["id"]
        last_id = event["id"]
        count += 1
    flush()
    if not count:
        return None
    permit = connection.execute(
        insert(AuditArchivePermit)
        .values(first_id=first_id, last_id=last_id)
        .returning(AuditArchivePermit.id)
    ).scalar_one()
    connection.execute(delete(AuditEvent).where(AuditEvent.id.between(first_id, last_id)))
    connection.execute(delete(AuditArchivePermit).where(AuditArchivePermit.id == permit))
    return ArchiveResult(files, first_id, last_id, count)
