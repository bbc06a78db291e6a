from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.errors import NotFound
from oversight.kit.pagination import PageParams, fetch_page, order_by_clauses
from oversight.users.models import User
from oversight.vocabulary import Role

SORTABLE = {
    "username": User.username,
    "full_name": User.full_name,
    "role": User.role,
    "id": User.id,
}


def get_user_or_raise(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def find_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username.strip().lower()))


def list_users(
    session: Session,
    params: PageParams,
    *,
    role: Role | None = None,
    is_active: bool | None = None,
) -> tuple[Sequence[User], int]:
    statement = select(User)
    if role is not None:
        statement = statement.where(User.role == role)
    if is_active is not None:
        statement = statement.where(User.is_active == is_active)
    statement = statement.order_by(*order_by_clauses(params.sort, SORTABLE, "username", User.id))
    return fetch_page(session, statement, params)
