"""The accounts and what login, sessions and two-factor authentication keep about them.

`User` is the account: auth authenticates it, so it lives on auth's side of the layer map,
and every package above (users' administration, the domains, audit) names it from here. It
is audited field by field like any domain record. The login tables below it are not
captured by the audit trail's change capture: the flows record their own audit events (a
refresh token's hash in the trail would serve no one).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base, Timestamped
from oversight.db.columns import enum_column
from oversight.db.encrypted import EncryptedField, EncryptedRow
from oversight.db.traits import Audited, Exempt, ModelTraits
from oversight.db.types import Hours
from oversight.kit.clock import utcnow
from oversight.security.fieldcrypt import normalise_email
from oversight.vocabulary import Role


class User(EncryptedRow, Timestamped, Base):
    """A person who signs in: staff of any role, or a client contact tied to one customer.

    Name, e-mail and phone are encrypted (oversight.db.encrypted): a client's account carries
    the name of the customer's contact person. The e-mail has a blind index for lookups.
    """

    __tablename__ = "users"
    __traits__ = ModelTraits(
        scope=Exempt(
            "guarded by the users permission; analytics lists engineers through "
            "oversight.auth.scope.visible_engineers"
        ),
        audit=Audited("user", secret=frozenset({"password_hash"}), history="users"),
        kpi_input=True,
    )
    __table_args__ = (
        CheckConstraint(
            "(role = 'client' AND customer_id IS NOT NULL)"
            " OR (role <> 'client' AND customer_id IS NULL)",
            name="client_has_customer",
        ),
        CheckConstraint("weekly_capacity_hours >= 0", name="capacity_not_negative"),
        CheckConstraint("cost_rate >= 0", name="cost_rate_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role), index=True)
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    weekly_capacity_hours: Mapped[Decimal | None] = mapped_column(Hours())
    cost_rate: Mapped[Decimal | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    # Set by an administrator's temporary password: every route but changing it is refused.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    full_name_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_bidx: Mapped[bytes | None] = mapped_column(LargeBinary, index=True)
    phone_ct: Mapped[bytes | None] = mapped_column(LargeBinary)

    full_name = EncryptedField()
    email = EncryptedField(normalise=normalise_email)
    phone = EncryptedField()


class AuthSession(Base):
    """One login and every token refreshed from it: a refresh-token family (RFC 9700).

    Access tokens carry its id (`sid`), so revoking the session ends them at once too.
    """

    __tablename__ = "auth_sessions"
    __traits__ = ModelTraits(
        scope=Exempt("login state: reached only by the auth flows, never listed by the API"),
        audit=Exempt("the auth flows record their own audit events"),
        kpi_input=False,
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    second_factor: Mapped[str | None] = mapped_column(String(16))  # "otp", "recovery" or None
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class RefreshToken(Base):
    """One refresh token of a session, stored as its SHA-256; `used_at` set when rotated."""

    __tablename__ = "refresh_tokens"
    __traits__ = ModelTraits(
        scope=Exempt("login state: reached only by the auth flows, never listed by the API"),
        audit=Exempt("the auth flows record their own audit events"),
        kpi_input=False,
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class UserTotp(EncryptedRow, Base):
    """A user's TOTP secret, whether enrolment finished, and the last step used.

    `secret` is an encrypted field (oversight.db.encrypted): AES-256-GCM ciphertext in
    `secret_ct`, bound to this table, column and the row's `row_uid`, so `oversight keys
    rotate` re-seals it with the other encrypted rows. No blind index: it is never looked up.
    """

    __tablename__ = "user_totp"
    __traits__ = ModelTraits(
        scope=Exempt("login state: reached only by the auth flows, never listed by the API"),
        audit=Exempt("the auth flows record their own audit events"),
        kpi_input=False,
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    secret_ct: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)

    secret = EncryptedField()


class RecoveryCode(Base):
    """A single-use recovery code, stored as its SHA-256."""

    __tablename__ = "recovery_codes"
    __traits__ = ModelTraits(
        scope=Exempt("login state: reached only by the auth flows, never listed by the API"),
        audit=Exempt("the auth flows record their own audit events"),
        kpi_input=False,
    )
    __table_args__ = (UniqueConstraint("user_id", "code_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique (user_id, code_hash) index serves lookups by user as well.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """The throttle state of one key: an account (hashed name), an IP, a 2FA user.

    `consecutive_failures` drives the exponential back-off; `blocked_until` is when the next
    attempt is allowed. The failures themselves, counted against the hourly cap over a rolling
    hour, are `LoginFailure` rows; this row is what concurrent failures of the key lock.
    """

    __tablename__ = "login_throttle"
    __traits__ = ModelTraits(
        scope=Exempt("login state: reached only by the auth flows, never listed by the API"),
        audit=Exempt("the auth flows record their own audit events"),
        kpi_input=False,
    )

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class LoginFailure(Base):
    """One failed attempt on a throttle key; rows older than an hour are pruned."""

    __tablename__ = "login_failures"
    __traits__ = ModelTraits(
        scope=Exempt("login state: reached only by the auth flows, never listed by the API"),
        audit=Exempt("the auth flows record their own audit events"),
        kpi_input=False,
    )
    __table_args__ = (Index("ix_login_failures_key_failed_at", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(
        String(80), ForeignKey("login_throttle.key", ondelete="CASCADE")
    )
    failed_at: Mapped[datetime]


class EnrolmentToken(Base):
    """An administrator's permission for one account to enrol a second factor: single use,
    expiring, stored as its SHA-256 (issue 12: enrolment is not first come, first served)."""

    __tablename__ = "enrolment_tokens"
    __traits__ = ModelTraits(
        scope=Exempt("login state: reached only by the auth flows, never listed by the API"),
        audit=Exempt("issuing and using a token are explicit audit events"),
        kpi_input=False,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
