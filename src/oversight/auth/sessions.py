"""Sessions: an access token plus a rotating refresh token, revocable as one family.

Refresh tokens are opaque, stored as SHA-256, and single-use: each refresh marks the token
used (a conditional UPDATE, so of two concurrent refreshes exactly one wins) and issues the
next one. Presenting a token that was already used means two parties hold it, so the whole
family is revoked (RFC 9700, section 4.14.2), the legitimate holder included.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from oversight.audit.events import record_event
from oversight.auth.access_tokens import issue_access_token
from oversight.auth.models import AuthSession, RefreshToken, User
from oversight.config import Settings
from oversight.db.session import keep_whatever_happens
from oversight.errors import NotAuthenticated
from oversight.kit.clock import utcnow
from oversight.security.tokens import new_opaque_token, token_digest

INVALID_REFRESH = "invalid, expired or revoked refresh token"
_REVOCATIONS = "oversight.sessions.revocations"


@dataclass(frozen=True, slots=True)
class IssuedSession:
    session_id: str
    access_token: str
    access_lifetime: timedelta
    refresh_token: str
    refresh_lifetime: timedelta


def start_session(
    *, session: Session, settings: Settings, user: User, second_factor: str | None
) -> IssuedSession:
    """A new family for `user`, with its first refresh token and an access token."""
    now = utcnow()
    auth_session = AuthSession(
        id=secrets.token_hex(16),
        user_id=user.id,
        second_factor=second_factor,
        created_at=now,
        expires_at=now + timedelta(days=settings.auth.session_max_days),
    )
    session.add(auth_session)
    session.flush()
    return _issue(session, settings, user, auth_session, now)


def _issue(
    session: Session, settings: Settings, user: User, auth_session: AuthSession, now: datetime
) -> IssuedSession:
    refresh_token = new_opaque_token()
    refresh_expires = min(
        now + timedelta(days=settings.auth.refresh_token_days), auth_session.expires_at
    )
    session.add(
        RefreshToken(
            session_id=auth_session.id,
            token_hash=token_digest(refresh_token),
            issued_at=now,
            expires_at=refresh_expires,
        )
    )
    session.flush()
    access_token, access_lifetime = issue_access_token(
        settings=settings,
        user=user,
        session_id=auth_session.id,
        two_factor=auth_session.second_factor is not None,
    )
    return IssuedSession(
        session_id=auth_session.id,
        access_token=access_token,
        access_lifetime=access_lifetime,
        refresh_token=refresh_token,
        refresh_lifetime=refresh_expires - now,
    )


def refresh(*, session: Session, settings: Settings, refresh_token: str) -> IssuedSession:
    """Rotate `refresh_token`: mark it used and issue the next pair of its family.

    Unknown, expired or revoked tokens are refused alike (401). A token already used revokes
    its family and leaves an `auth.refresh_reused` audit event.
    """
    now = utcnow()
    found = session.execute(
        select(RefreshToken, AuthSession)
        .join(AuthSession, RefreshToken.session_id == AuthSession.id)
        .where(RefreshToken.token_hash == token_digest(refresh_token))
    ).first()
    if found is None:
        _refused(session, None, "unknown refresh token")
    token, auth_session = found
    if auth_session.revoked_at is not None:
        _refused(session, auth_session, "session revoked")
    if token.used_at is not None:
        _reused(session, auth_session)
    if token.expires_at <= now or auth_session.expires_at <= now:
        _refused(session, auth_session, "refresh token expired")
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        # Another request rotated this token first: the same token was presented twice.
        _reused(session, auth_session)
    user = session.get(User, auth_session.user_id)
    if user is None or not user.is_active:
        revoke_later(session, auth_session.id, "user disabled")
        _refused(session, auth_session, "user disabled")
    if user.role in settings.auth.two_factor_roles and auth_session.second_factor is None:
        # The role changed to one that needs 2FA after this session began without it.
        revoke_later(session, auth_session.id, "two-factor authentication now required")
        _refused(session, auth_session, "two-factor authentication now required")
    return _issue(session, settings, user, auth_session, now)


def _refused(session: Session, auth_session: AuthSession | None, reason: str) -> NoReturn:
    record_event(
        session,
        "auth.refresh_refused",
        entity_type="user" if auth_session else None,
        entity_id=auth_session.user_id if auth_session else None,
        reason=reason,
        survive_rollback=True,
    )
    raise NotAuthenticated(INVALID_REFRESH)


def _reused(session: Session, auth_session: AuthSession) -> NoReturn:
    revoke_later(session, auth_session.id, "refresh token reused")
    record_event(
        session,
        "auth.refresh_reused",
        entity_type="user",
        entity_id=auth_session.user_id,
        details={"session": auth_session.id[:8]},
        reason="an already used refresh token was presented: session revoked",
        survive_rollback=True,
    )
    raise NotAuthenticated(INVALID_REFRESH)


def logout(*, session: Session, refresh_token: str) -> None:
    """Revoke the family of `refresh_token`; an unknown token changes nothing (and says so
    to no one: logout answers the same either way)."""
    auth_session = session.scalar(
        select(AuthSession)
        .join(RefreshToken, RefreshToken.session_id == AuthSession.id)
        .where(RefreshToken.token_hash == token_digest(refresh_token))
    )
    if auth_session is None:
        return
    _revoke(session, [auth_session.id], "logout")
    record_event(session, "auth.logout", entity_type="user", entity_id=auth_session.user_id)


def revoke_user_sessions(
    *, session: Session, user_id: int, reason: str, keep: str | None = None
) -> int:
    """Revoke every live session of a user (but `keep`); how many were revoked."""
    statement = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(AuthSession.id != keep)
    result = session.execute(
        statement.values(revoked_at=utcnow(), revoked_reason=reason[:64]),
        execution_options={"synchronize_session": False},
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def end_user_sessions(*, session: Session, user_id: int, reason: str) -> int:
    """End every session of a user on an operator's request (a stolen laptop), leaving an
    `auth.sessions_ended` audit event with the count; how many were ended."""
    ended = revoke_user_sessions(session=session, user_id=user_id, reason=reason)
    record_event(session, "auth.sessions_ended", entity_type="user", entity_id=user_id,
                 details={"sessions": ended})  # fmt: skip
    return ended


def is_live(session: Session, session_id: str, user_id: int) -> bool:
    """True while the session exists, belongs to the user and is neither revoked nor past
    its absolute end."""
    auth_session = session.get(AuthSession, session_id)
    return (
        auth_session is not None
        and auth_session.user_id == user_id
        and in_force(auth_session.revoked_at, auth_session.expires_at)
    )


def in_force(revoked_at: datetime | None, expires_at: datetime) -> bool:
    """The rule a login session lives by: not revoked and not past its absolute end."""
    return revoked_at is None and expires_at > utcnow()


def revoke_later(session: Session, session_id: str, reason: str) -> None:
    """Revoke a session even though the current request is about to fail."""
    session.info.setdefault(_REVOCATIONS, []).append((session_id, reason))
    keep_whatever_happens(session, _write_revocations)


def _write_revocations(session: Session) -> None:
    for session_id, reason in session.info.pop(_REVOCATIONS, []):
        _revoke(session, [session_id], reason)


def _revoke(session: Session, session_ids: list[str], reason: str) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.id.in_(session_ids), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason[:64]),
        execution_options={"synchronize_session": False},
    )
