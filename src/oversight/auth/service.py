"""Login and token checks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.audit.events import record_event
from oversight.auth.principal import Principal
from oversight.config import Settings
from oversight.errors import NotAuthenticated
from oversight.kit.clock import utcnow
from oversight.security.passwords import spend_verification_time, verify_password
from oversight.security.tokens import InvalidToken, TokenSigner
from oversight.users.models import User

INVALID_CREDENTIALS = "invalid username or password"


def signer(settings: Settings) -> TokenSigner:
    return TokenSigner(
        secret=settings.auth.jwt_secret.get_secret_value(),
        issuer=settings.auth.jwt_issuer,
        audience=settings.auth.jwt_audience,
    )


def token_lifetime(settings: Settings, user: User) -> timedelta:
    """Shorter sessions for the sensitive roles (admin, director, accountant by default)."""
    if user.role in settings.auth.sensitive_roles:
        return timedelta(minutes=settings.auth.sensitive_access_token_minutes)
    return timedelta(minutes=settings.auth.access_token_minutes)


def authenticate(*, session: Session, username: str, password: str) -> User:
    """The active user with these credentials; NotAuthenticated with one message otherwise.

    Unknown user, wrong password and disabled account are indistinguishable to the caller.
    """
    tried = username.strip().lower()
    user = session.scalar(select(User).where(User.username == tried))
    if user is None:
        spend_verification_time(password)
        _login_failed(session, tried, None, "unknown user")
    elif not verify_password(user.password_hash, password):
        _login_failed(session, tried, user, "wrong password")
    elif not user.is_active:
        _login_failed(session, tried, user, "account disabled")
    else:
        record_event(
            session, "auth.login_succeeded", entity_type="user", entity_id=user.id,
            actor=_as_actor(user),
        )  # fmt: skip
        return user
    raise NotAuthenticated(INVALID_CREDENTIALS)


def _as_actor(user: User) -> dict[str, object]:
    return {
        "actor_type": "user",
        "actor_id": user.id,
        "actor_name": user.username,
        "actor_role": user.role.value,
    }


def _login_failed(session: Session, tried: str, user: User | None, reason: str) -> None:
    """Kept even though the login's transaction rolls back; never the password itself."""
    record_event(
        session,
        "auth.login_failed",
        entity_type="user" if user else None,
        entity_id=user.id if user else None,
        details={"username": tried[:64]},
        reason=reason,
        actor={
            "actor_type": "anonymous",
            "actor_id": None,
            "actor_name": tried[:64],
            "actor_role": None,
        },
        survive_rollback=True,
    )


def issue_access_token(*, settings: Settings, user: User) -> tuple[str, timedelta]:
    lifetime = token_lifetime(settings, user)
    token = signer(settings).issue(
        subject=str(user.id), lifetime=lifetime, now=utcnow(), role=user.role.value
    )
    return token, lifetime


def principal_from_token(*, session: Session, settings: Settings, token: str) -> Principal:
    """The principal a valid token names, as the database knows them now.

    Reading the user on every request means a disabled user or a changed role takes effect
    on the next request, not when the token expires.
    """
    try:
        claims = signer(settings).verify(token)
        user_id = int(claims["sub"])
    except (InvalidToken, ValueError):
        raise NotAuthenticated("invalid or expired access token") from None
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise NotAuthenticated("invalid or expired access token")
    return Principal(
        user_id=user.id, username=user.username, role=user.role, customer_id=user.customer_id
    )
