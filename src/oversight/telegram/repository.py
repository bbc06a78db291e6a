"""Queries of the bot's tables (`oversight.telegram.models`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from oversight.auth.models import User
from oversight.telegram.models import TelegramLink, TelegramLinkCode


def find_link_by_telegram_user(
    session: Session, telegram_user_id: int
) -> tuple[TelegramLink, User] | None:
    row = session.execute(
        select(TelegramLink, User)
        .join(User, User.id == TelegramLink.user_id)
        .where(TelegramLink.telegram_user_id == telegram_user_id)
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def find_link_by_user(session: Session, user_id: int) -> TelegramLink | None:
    return session.get(TelegramLink, user_id)


def find_live_code(session: Session, code_hash: str, now: datetime) -> TelegramLinkCode | None:
    return session.scalars(
        select(TelegramLinkCode).where(
            TelegramLinkCode.code_hash == code_hash, TelegramLinkCode.expires_at > now
        )
    ).one_or_none()


def delete_codes_of_user(session: Session, user_id: int) -> None:
    session.execute(delete(TelegramLinkCode).where(TelegramLinkCode.user_id == user_id))


def delete_expired_codes(session: Session, now: datetime) -> int:
    result = session.execute(delete(TelegramLinkCode).where(TelegramLinkCode.expires_at <= now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
