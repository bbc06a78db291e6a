"""Queries for customers. Row scope is applied by the session (oversight.auth.scope)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oversight.auth.scope import get_visible_or_raise
from oversight.customers.models import Customer
from oversight.kit.pagination import PageParams, fetch_page, order_by_clauses

SORTABLE = {"name": Customer.name, "created_at": Customer.created_at, "id": Customer.id}


def get_customer_or_raise(session: Session, customer_id: int) -> Customer:
    return get_visible_or_raise(session, Customer, customer_id, "customer")


def find_by_name(session: Session, name: str) -> Customer | None:
    return session.scalar(select(Customer).where(func.lower(Customer.name) == name.lower()))


def list_customers(
    session: Session, params: PageParams, *, search: str | None = None
) -> tuple[Sequence[Customer], int]:
    statement = select(Customer)
    if search:
        statement = statement.where(Customer.name.icontains(search, autoescape=True))
    statement = statement.order_by(*order_by_clauses(params.sort, SORTABLE, "name", Customer.id))
    return fetch_page(session, statement, params)
