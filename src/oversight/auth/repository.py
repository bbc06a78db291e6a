"""Looking accounts up: by id, by username, and a caller's account with their login session
(the lookups auth itself needs).

Listing and filtering users is administration, in `oversight.users.repository`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from oversight.auth.models import AuthSession, User
from oversight.errors import NotFound
from oversight.vocabulary import Role


def get_user_or_raise(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def find_by_username(session: Session, username: str) -> User | None:
    """The account named `username` (case and surrounding blanks ignored), or None."""
    return session.scalar(select(User).where(User.username == username.strip().lower()))


@dataclass(frozen=True, slots=True)
class Caller:
    """What a request needs to know about the account behind an access token and the login
    session the token belongs to, as the database holds them now."""

    user_id: int
    username: str
    role: Role
    customer_id: int | None
    is_active: bool
    must_change_password: bool
    session_expires_at: datetime
    session_revoked_at: datetime | None


# One statement object, built once: its cache key is computed once, not per request.
_CALLER = (
    select(
        User.id, User.username, User.role, User.customer_id, User.is_active,
        User.must_change_password, AuthSession.expires_at, AuthSession.revoked_at,
    )
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(User.id == bindparam("user_id"), AuthSession.id == bindparam("session_id"))
)  # fmt: skip


def find_caller(session: Session, user_id: int, session_id: str) -> Caller | None:
    """The account `user_id` with its login session `session_id`, read in one statement; None
    if either is missing or the session belongs to someone else. Plain columns, not the
    `User` entity: nothing is decrypted and nothing enters the identity map."""
    row = session.execute(_CALLER, {"user_id": user_id, "session_id": session_id}).one_or_none()
    return None if row is None else Caller(*row)
