"""Queries for invoices. Row scope is applied by the session (oversight.auth.scope).

`overdue_clause` and `is_overdue` are the one definition of "overdue", in SQL and in Python;
keep them side by side and in agreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import QueryableAttribute, Session

from oversight.auth.scope import get_visible_or_raise
from oversight.invoices.models import Invoice, InvoiceStatus
from oversight.kit.pagination import PageParams, fetch_page, order_by_clauses


def _nulls_last(column: Any) -> ColumnElement[Any]:
    """A missing date sorts as later than every real one (last ascending, first descending)
    on both backends; left alone, SQLite would put NULLs first and PostgreSQL last."""
    return func.coalesce(column, date.max)


SORTABLE: dict[str, QueryableAttribute[Any] | ColumnElement[Any]] = {
    "number": Invoice.number,
    "issued_on": _nulls_last(Invoice.issued_on),
    "due_on": _nulls_last(Invoice.due_on),
    "amount": Invoice.amount,
    "created_at": Invoice.created_at,
}


def overdue_clause(today: date) -> ColumnElement[bool]:
    """Issued (not paid, not cancelled) and due before `today`, the company-local date."""
    return and_(Invoice.status == InvoiceStatus.issued, Invoice.due_on < today)


def not_overdue_clause(today: date) -> ColumnElement[bool]:
    return or_(
        Invoice.status != InvoiceStatus.issued, Invoice.due_on.is_(None), Invoice.due_on >= today
    )


def is_overdue(invoice: Invoice, today: date) -> bool:
    """The Python twin of `overdue_clause`, for one loaded invoice."""
    return (
        invoice.status == InvoiceStatus.issued
        and invoice.due_on is not None
        and invoice.due_on < today
    )


def get_invoice_or_raise(session: Session, invoice_id: int) -> Invoice:
    """The invoice if it exists and is in the caller's scope; NotFound (the same) otherwise."""
    return get_visible_or_raise(session, Invoice, invoice_id, "invoice")


def is_visible(session: Session, invoice_id: int) -> bool:
    """Whether the caller's row scope includes the invoice (as stored after the last flush)."""
    return session.scalar(select(Invoice.id).where(Invoice.id == invoice_id)) is not None


@dataclass(frozen=True, slots=True)
class InvoiceFilters:
    """What the invoice list and its export filter on; the issue dates both included."""

    customer_id: int | None = None
    project_id: int | None = None
    status: InvoiceStatus | None = None
    overdue: bool | None = None
    issued_from: date | None = None
    issued_to: date | None = None

    def issued_within(self, first: date | None, last: date | None) -> InvoiceFilters:
        """These filters with the issue dates from `first` to `last` (`DateRange.days`)."""
        return replace(self, issued_from=first, issued_to=last)


def _filtered(filters: InvoiceFilters, today: date) -> Select[Invoice]:
    statement = select(Invoice)
    if filters.customer_id is not None:
        statement = statement.where(Invoice.customer_id == filters.customer_id)
    if filters.project_id is not None:
        statement = statement.where(Invoice.project_id == filters.project_id)
    if filters.status is not None:
        statement = statement.where(Invoice.status == filters.status)
    if filters.overdue is not None:
        statement = statement.where(
            overdue_clause(today) if filters.overdue else not_overdue_clause(today)
        )
    if filters.issued_from is not None:
        statement = statement.where(Invoice.issued_on >= filters.issued_from)
    if filters.issued_to is not None:
        statement = statement.where(Invoice.issued_on <= filters.issued_to)
    return statement


def export_statement(filters: InvoiceFilters, sort: str | None, *, today: date) -> Select[Invoice]:
    """Every invoice the list would show for `filters`, in the list's order (no pages)."""
    return _filtered(filters, today).order_by(
        *order_by_clauses(sort, SORTABLE, "-created_at", Invoice.id)
    )


def list_invoices(
    session: Session, params: PageParams, filters: InvoiceFilters, *, today: date
) -> tuple[Sequence[Invoice], int]:
    return fetch_page(session, export_statement(filters, params.sort, today=today), params)
