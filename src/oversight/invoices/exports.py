"""The CSV export of invoices: the list's filters, every matching row in the caller's scope,
streamed in batches (`oversight.kit.spreadsheet.csv_chunks`, formulas neutralised)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy.orm import Session

from oversight.invoices import repository
from oversight.invoices.repository import InvoiceFilters

COLUMNS = (
    "number",
    "customer_id",
    "project_id",
    "status",
    "amount",
    "currency",
    "issued_on",
    "due_on",
    "paid_on",
    "is_overdue",
    "cancelled_on",
    "cancellation_reason",
    "description",
    "created_at",
)
"""The export's columns, in order: the list's fields but the internal id and `updated_at`."""

_STORED = tuple(name for name in COLUMNS if name != "is_overdue")


def export_rows(
    session: Session, filters: InvoiceFilters, sort: str | None, *, today: date
) -> Iterator[list[object]]:
    """The rows of the export. The statement (and a bad `sort`, 422) is made before the first
    row is asked for, so a refusal comes before any byte is streamed; the rows are then read
    in batches through the session's row scope. `today` is the company-local date."""
    statement = repository.export_statement(filters, sort, today=today)

    def rows() -> Iterator[list[object]]:
        for invoice in session.scalars(statement.execution_options(yield_per=500)):
            values: list[object] = [getattr(invoice, name) for name in _STORED]
            values.insert(COLUMNS.index("is_overdue"), repository.is_overdue(invoice, today))
            yield values

    return rows()
