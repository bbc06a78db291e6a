"""What the bot keeps: which Telegram account belongs to which user, and pending link codes.

Neither table is captured field by field by the audit trail: the linking service records its
own events (`telegram.*`), and a link code's hash in the trail would serve no one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base
from oversight.db.traits import Exempt, ModelTraits
from oversight.kit.clock import utcnow


class TelegramLink(Base):
    """One user's Telegram account: one account per user and one user per account."""

    __tablename__ = "telegram_links"
    __traits__ = ModelTraits(
        scope=Exempt("bot state: reached only by the linking service, never listed by the API"),
        audit=Exempt("the linking service records its own events (telegram.linked, ...)"),
        kpi_input=False,
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    language: Mapped[str | None] = mapped_column(String(8))  # None: the default setting
    linked_at: Mapped[datetime] = mapped_column(default=utcnow)


class TelegramLinkCode(Base):
    """A one-time code an administrator made for a user, stored as its SHA-256."""

    __tablename__ = "telegram_link_codes"
    __traits__ = ModelTraits(
        scope=Exempt("bot state: reached only by the linking service, never listed by the API"),
        audit=Exempt("a code's hash in the trail would serve no one; creation is an event"),
        kpi_input=False,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
