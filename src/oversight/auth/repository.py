"""Looking accounts up: by id and by username (the two lookups auth itself needs).

Listing and filtering users is administration, in `oversight.users.repository`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.auth.models import User
from oversight.errors import NotFound


def get_user_or_raise(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def find_by_username(session: Session, username: str) -> User | None:
    """The account named `username` (case and surrounding blanks ignored), or None."""
    return session.scalar(select(User).where(User.username == username.strip().lower()))
