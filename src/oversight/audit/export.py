"""Streaming exports of the trail as CSV or JSON Lines: rows are read in batches and written
as they come, so memory does not grow with the number of events. CSV cells that a
spreadsheet would evaluate are neutralised (`oversight.kit.spreadsheet`); JSON Lines keep
every value exactly as stored."""

from __future__ import annotations

import enum
import io
import json
from collections.abc import Iterator

from sqlalchemy import Connection

from oversight.audit.repository import EXPORT_COLUMNS, AuditFilters, iter_batches
from oversight.kit.spreadsheet import CsvWriter


class ExportFormat(enum.StrEnum):
    csv = "csv"
    jsonl = "jsonl"


_OCCURRED_AT = EXPORT_COLUMNS.index("occurred_at")


def export_lines(
    connection: Connection, filters: AuditFilters, fmt: ExportFormat, *, batch: int = 2000
) -> Iterator[str]:
    """The export as text chunks: a header (CSV), then one chunk per batch of events."""
    buffer = io.StringIO()
    writer = CsvWriter(buffer) if fmt is ExportFormat.csv else None
    if writer is not None:
        writer.writerow(EXPORT_COLUMNS)
    for rows in iter_batches(connection, filters, batch=batch):
        for row in rows:
            values = list(row)
            values[_OCCURRED_AT] = values[_OCCURRED_AT].isoformat(timespec="microseconds")
            if writer is not None:
                writer.writerow(values)
            else:
                buffer.write(json.dumps(dict(zip(EXPORT_COLUMNS, values, strict=True)),
                                        ensure_ascii=False) + "\n")  # fmt: skip
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
