"""Listing users for administration (filters, sort, the e-mail blind index).

The two lookups auth needs (by id, by username) are `oversight.auth.repository`.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.auth.models import User
from oversight.kit.pagination import PageParams, fetch_page, order_by_clauses, slice_page
from oversight.vocabulary import Role

# Name, e-mail and phone are encrypted: never sorted (e-mail: exact match by blind index).
SORTABLE = {
    "username": User.username,
    "role": User.role,
    "id": User.id,
}


def list_users(
    session: Session,
    params: PageParams,
    *,
    role: Role | None = None,
    is_active: bool | None = None,
    email: str | None = None,
) -> tuple[Sequence[User], int]:
    """A page of users; `email` is an exact match found through its blind index."""
    statement = select(User)
    if role is not None:
        statement = statement.where(User.role == role)
    if is_active is not None:
        statement = statement.where(User.is_active == is_active)
    if email is not None:
        statement = statement.where(User.email.candidates(session, email))
    statement = statement.order_by(*order_by_clauses(params.sort, SORTABLE, "username", User.id))
    if email is None:
        return fetch_page(session, statement, params)
    rows = [row for row in session.scalars(statement) if User.email.matches(row, email)]
    return slice_page(rows, params)


def list_active_engineers(session: Session, params: PageParams) -> tuple[Sequence[User], int]:
    """A page of active engineers, by id (`sort=id` or `-id`; names are encrypted)."""
    statement = (
        select(User)
        .where(User.role == Role.engineer, User.is_active.is_(True))
        .order_by(*order_by_clauses(params.sort, {"id": User.id}, "id", User.id))
    )
    return fetch_page(session, statement, params)


def lock_active_admin_ids(session: Session) -> list[int]:
    """The ids of the active administrators, their rows locked until the transaction ends
    (FOR UPDATE on PostgreSQL; SQLite serialises writers anyway)."""
    statement = (
        select(User.id)
        .where(User.role == Role.admin, User.is_active.is_(True))
        .order_by(User.id)
        .with_for_update()
    )
    return list(session.scalars(statement))
