"""Rows past the recorded chain head, moved out of the table into an evidence file.

Such rows were written without the application (which moves the head in the same
transaction), so the chain cannot take them and every append collides with them (writes
answer 503). The administrator's way out: keep them as evidence in a gzip JSONL file
(`quarantine-<first id>-<last id>.jsonl.gz`, header then one stored row a line, as archives
are) and delete them through the archiver's permit, the one delete path the database allows.
The move itself becomes an `audit.tail_quarantined` event of the chain.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from oversight.audit import chain
from oversight.audit.models import AuditArchivePermit, AuditEvent


@dataclass(frozen=True, slots=True)
class QuarantineResult:
    path: Path
    first_id: int
    last_id: int
    count: int


def quarantine_tail(connection: Connection, directory: Path) -> QuarantineResult | None:
    """Move every row past the recorded head into a file in `directory`; None if there is
    none. The file is written and synced before the rows are deleted."""
    chain.lock_chain(connection)
    head = chain.read_head(connection)
    columns = [getattr(AuditEvent, name) for name in chain.STORED_FIELDS]
    rows = [
        dict(row)
        for row in connection.execute(
            select(*columns).where(AuditEvent.id > head.last_id).order_by(AuditEvent.id)
        ).mappings()
    ]
    if not rows:
        return None
    first_id, last_id = rows[0]["id"], rows[-1]["id"]
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"quarantine-{first_id:012d}-{last_id:012d}.jsonl.gz"
    header: dict[str, Any] = {
        "quarantine": 1, "head_id": head.last_id, "head_hash": head.last_hash,
        "first_id": first_id, "last_id": last_id, "count": len(rows),
    }  # fmt: skip
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(chain.canonical_json(header) + "\n")
        for row in rows:
            row["occurred_at"] = chain.render_instant(row["occurred_at"])
            stream.write(chain.canonical_json(row) + "\n")
    permit = connection.execute(
        insert(AuditArchivePermit)
        .values(first_id=first_id, last_id=last_id)
        .returning(AuditArchivePermit.id)
    ).scalar_one()
    connection.execute(delete(AuditEvent).where(AuditEvent.id.between(first_id, last_id)))
    connection.execute(delete(AuditArchivePermit).where(AuditArchivePermit.id == permit))
    return QuarantineResult(path, first_id, last_id, len(rows))
