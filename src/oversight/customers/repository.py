"""Queries for customers. Row scope is applied by the session (oversight.auth.scope)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oversight.auth.scope import get_visible_or_raise
from oversight.customers.models import Customer
from oversight.kit.pagination import PageParams, fetch_page, order_by_clauses, slice_page

# Contact name, phone and e-mail are encrypted: they can be matched exactly (blind index), never
# sorted or searched by substring.
SORTABLE = {"name": Customer.name, "created_at": Customer.created_at, "id": Customer.id}


def get_customer_or_raise(session: Session, customer_id: int) -> Customer:
    return get_visible_or_raise(session, Customer, customer_id, "customer")


def find_by_name(session: Session, name: str) -> Customer | None:
    return session.scalar(select(Customer).where(func.lower(Customer.name) == name.lower()))


def list_customers(
    session: Session,
    params: PageParams,
    *,
    search: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> tuple[Sequence[Customer], int]:
    """A page of customers; `search` is a substring of the name, `phone` and `email` exact
    matches (after normalisation) found through their blind indexes."""
    statement = select(Customer)
    if search:
        statement = statement.where(Customer.name.icontains(search, autoescape=True))
    given = ((Customer.phone, phone), (Customer.email, email))
    exact = [(field, value) for field, value in given if value is not None]
    for field, value in exact:
        statement = statement.where(field.candidates(session, value))
    statement = statement.order_by(*order_by_clauses(params.sort, SORTABLE, "name", Customer.id))
    if not exact:
        return fetch_page(session, statement, params)
    # A truncated blind index can match another value: keep the rows that really match.
    rows = [
        row
        for row in session.scalars(statement)
        if all(field.matches(row, value) for field, value in exact)
    ]
    return slice_page(rows, params)
