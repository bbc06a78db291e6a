"""Binding Telegram accounts to users: one-time link codes, link, unlink, and who is calling.

A link code is made by an administrator for one user (CLI or API), shown once, stored as its
SHA-256 and valid for `OVERSIGHT_TELEGRAM__LINK_CODE_MINUTES`; a new code replaces the user's
older ones, and linking consumes it. Services only flush; the caller commits.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from oversight.audit.events import record_event
from oversight.auth.models import User
from oversight.auth.principal import Principal
from oversight.config import Settings
from oversight.errors import Conflict
from oversight.kit.clock import utcnow
from oversight.telegram import repository
from oversight.telegram.models import TelegramLink, TelegramLinkCode
from oversight.vocabulary import Role

# No 0/O, 1/I: a code is read off one screen and typed on another.
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8  # 32**8 ≈ 10**12 codes, each alive for minutes, tried at a rate-limited pace


@dataclass(frozen=True, slots=True)
class IssuedCode:
    code: str  # as shown to the user: XXXX-XXXX
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LinkedCaller:
    """The user behind a linked Telegram account, as read at the start of an update."""

    user_id: int
    username: str
    role: Role
    customer_id: int | None
    active: bool
    language: str | None

    @property
    def principal(self) -> Principal:
        """The principal the API would build for this user (no login session behind it)."""
        return Principal(
            user_id=self.user_id,
            username=self.username,
            role=self.role,
            customer_id=self.customer_id,
        )


class LinkRefused(Exception):
    """`/link` did not bind the account; `reason` is `invalid` (unknown, used or expired
    code), `taken` (this Telegram account belongs to another user) or `disabled`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise_code(text: str) -> str:
    """What the user typed, without case, spaces or dashes."""
    return "".join(ch for ch in text.upper() if ch not in " -")


def _hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def _actor(user: User) -> dict[str, object]:
    return {
        "actor_type": "user",
        "actor_id": user.id,
        "actor_name": user.username,
        "actor_role": user.role.value,
    }


def create_link_code(*, session: Session, settings: Settings, user: User) -> IssuedCode:
    """A fresh code for `user`, replacing any earlier one; Conflict for a disabled user."""
    if not user.is_active:
        raise Conflict(f"user {user.username!r} is disabled; enable them before linking")
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    expires_at = utcnow() + timedelta(minutes=settings.telegram.link_code_minutes)
    repository.delete_codes_of_user(session, user.id)
    session.add(TelegramLinkCode(user_id=user.id, code_hash=_hash(raw), expires_at=expires_at))
    session.flush()
    record_event(
        session,
        "telegram.link_code_created",
        entity_type="user",
        entity_id=user.id,
        details={"expires_at": expires_at.isoformat()},
    )
    return IssuedCode(code=f"{raw[:4]}-{raw[4:]}", expires_at=expires_at)


def link_account(*, session: Session, code: str, telegram_user_id: int, chat_id: int) -> User:
    """Bind the Telegram account to the code's user and consume the code; LinkRefused
    otherwise. A user who was linked to another Telegram account moves to this one."""
    now = utcnow()
    found = repository.find_live_code(session, _hash(code), now)
    if found is None:
        raise LinkRefused("invalid")
    user = session.get(User, found.user_id)
    if user is None or not user.is_active:
        raise LinkRefused("disabled")
    existing = repository.find_link_by_telegram_user(session, telegram_user_id)
    if existing is not None and existing[0].user_id != user.id:
        raise LinkRefused("taken")
    session.delete(found)
    link = repository.find_link_by_user(session, user.id)
    if link is None:
        link = TelegramLink(user_id=user.id, telegram_user_id=telegram_user_id, chat_id=chat_id)
        session.add(link)
    else:
        link.telegram_user_id, link.chat_id, link.linked_at = telegram_user_id, chat_id, now
    session.flush()
    record_event(session, "telegram.linked", entity_type="user", entity_id=user.id,
                 actor=_actor(user))  # fmt: skip
    return user


def unlink_account(*, session: Session, telegram_user_id: int) -> bool:
    """Forget the account's link; False when it was not linked."""
    found = repository.find_link_by_telegram_user(session, telegram_user_id)
    if found is None:
        return False
    link, user = found
    session.delete(link)
    session.flush()
    record_event(session, "telegram.unlinked", entity_type="user", entity_id=user.id,
                 actor=_actor(user))  # fmt: skip
    return True


def unlink_user(*, session: Session, user: User) -> bool:
    """An administrator's unlink of `user`'s account (a lost phone); False if none."""
    link = repository.find_link_by_user(session, user.id)
    if link is None:
        return False
    session.delete(link)
    session.flush()
    record_event(session, "telegram.unlinked", entity_type="user", entity_id=user.id)
    return True


def caller_for(session: Session, telegram_user_id: int) -> LinkedCaller | None:
    """The user linked to this Telegram account (active or not), or None."""
    found = repository.find_link_by_telegram_user(session, telegram_user_id)
    if found is None:
        return None
    link, user = found
    return LinkedCaller(
        user_id=user.id,
        username=user.username,
        role=user.role,
        customer_id=user.customer_id,
        active=user.is_active,
        language=link.language,
    )


def chat_of(session: Session, user_id: int) -> int | None:
    """The private chat in which the bot reaches `user_id` (for notifications such as the
    alert hub's), or None when the user has no linked account or is disabled."""
    link = repository.find_link_by_user(session, user_id)
    if link is None:
        return None
    user = session.get(User, user_id)
    return link.chat_id if user is not None and user.is_active else None


def set_language(*, session: Session, user_id: int, language: str) -> None:
    link = repository.find_link_by_user(session, user_id)
    if link is None:
        raise LinkRefused("invalid")
    link.language = language
    session.flush()


def forget_expired_codes(*, session: Session) -> int:
    """Delete codes past their expiry; returns how many."""
    return repository.delete_expired_codes(session, utcnow())
