"""The CSV export of requests: the list's filters, every matching row in the caller's scope,
streamed in batches (`oversight.kit.spreadsheet.csv_chunks`, formulas neutralised)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy.orm import Session

from oversight.service_requests import repository
from oversight.service_requests.repository import RequestFilters
from oversight.service_requests.service import is_overdue

COLUMNS = (
    "number",
    "title",
    "status",
    "priority",
    "customer_id",
    "project_id",
    "assigned_engineer_id",
    "created_at",
    "first_response_at",
    "response_due_at",
    "resolution_due_at",
    "is_overdue",
    "completed_at",
    "closed_at",
    "cancelled_at",
    "revision_count",
)
"""The export's columns, in order: the list's fields but the long description and the
caller-specific `allowed_actions`."""

_STORED = tuple(name for name in COLUMNS if name != "is_overdue")


def export_rows(
    session: Session, filters: RequestFilters, sort: str | None, *, now: datetime
) -> Iterator[list[object]]:
    """The rows of the export. The statement (and a bad `sort`, 422) is made before the first
    row is asked for, so a refusal comes before any byte is streamed; the rows are then read
    in batches through the session's row scope."""
    statement = repository.export_statement(filters, sort, now=now)

    def rows() -> Iterator[list[object]]:
        for request in session.scalars(statement.execution_options(yield_per=500)):
            values: list[object] = [getattr(request, name) for name in _STORED]
            values.insert(COLUMNS.index("is_overdue"), is_overdue(request, now))
            yield values

    return rows()
