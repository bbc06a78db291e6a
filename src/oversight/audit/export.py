"""Streaming exports of the trail as CSV or JSON Lines: rows are read in batches and written
as they come, so memory does not grow with the number of events."""

from __future__ import annotations

import csv
import enum
import io
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection

from oversight.audit.repository import EXPORT_COLUMNS, AuditFilters, iter_rows


class ExportFormat(enum.StrEnum):
    csv = "csv"
    jsonl = "jsonl"


def _plain(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "occurred_at": row["occurred_at"].isoformat(timespec="microseconds")}


def export_lines(
    connection: Connection, filters: AuditFilters, fmt: ExportFormat, *, batch: int = 2000
) -> Iterator[str]:
    """The export as text chunks (one header for CSV, then one chunk per batch of rows)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS) if fmt is ExportFormat.csv else None
    if writer is not None:
        writer.writeheader()
    pending = 0
    for row in iter_rows(connection, filters, batch=batch):
        if writer is not None:
            writer.writerow(_plain(row))
        else:
            buffer.write(json.dumps(_plain(row), ensure_ascii=False) + "\n")
        pending += 1
        if pending >= batch:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if buffer.tell():
        yield buffer.getvalue()
