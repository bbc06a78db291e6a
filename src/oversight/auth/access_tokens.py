"""Our access and "2FA pending" tokens: what they claim, how long they live, which key signs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from oversight.auth.models import User
from oversight.config import Settings
from oversight.kit.clock import utcnow
from oversight.security.tokens import ACCESS, TWO_FACTOR_PENDING, InvalidToken, TokenSigner

PASSWORD_ONLY = ("pwd",)
WITH_SECOND_FACTOR = ("pwd", "otp")  # RFC 8176 authentication method references


def signer(settings: Settings) -> TokenSigner:
    return TokenSigner(
        keys=settings.auth.signing_keys,
        active_kid=settings.auth.active_key_id,
        issuer=settings.auth.jwt_issuer,
        audience=settings.auth.jwt_audience,
    )


def access_token_lifetime(settings: Settings, user: User) -> timedelta:
    """Shorter sessions for the sensitive roles (admin, director, accountant by default)."""
    minutes = settings.auth.access_token_minutes
    if user.role in settings.auth.sensitive_roles:
        minutes = min(minutes, settings.auth.sensitive_access_token_minutes)
    return timedelta(minutes=minutes)


def issue_access_token(
    *,
    settings: Settings,
    user: User,
    session_id: str,
    two_factor: bool = False,
) -> tuple[str, timedelta]:
    """An access token for `user` in the login session `session_id` (the token ends when that
    session is revoked; a token without one is refused); `two_factor` says a second factor
    was verified."""
    lifetime = access_token_lifetime(settings, user)
    claims: dict[str, Any] = {
        "role": user.role.value,
        "amr": list(WITH_SECOND_FACTOR if two_factor else PASSWORD_ONLY),
        "sid": session_id,
    }
    token = signer(settings).issue(subject=str(user.id), lifetime=lifetime, now=utcnow(), **claims)
    return token, lifetime


def issue_pending_token(*, settings: Settings, user: User) -> tuple[str, timedelta]:
    """A short-lived token that proves the password and can do nothing but the second step."""
    lifetime = timedelta(minutes=settings.auth.two_factor_pending_minutes)
    token = signer(settings).issue(
        subject=str(user.id),
        lifetime=lifetime,
        now=utcnow(),
        token_type=TWO_FACTOR_PENDING,
        amr=list(PASSWORD_ONLY),
    )
    return token, lifetime


def verified_claims(
    settings: Settings, token: str, *, token_types: frozenset[str] = frozenset({ACCESS})
) -> dict[str, Any]:
    """The claims of a valid token of one of `token_types`; InvalidToken otherwise."""
    claims = signer(settings).verify(token, token_types=token_types)
    if not isinstance(claims.get("sub"), str) or not claims["sub"].isdigit():
        raise InvalidToken("subject is not a user id")
    return claims


def has_second_factor(claims: dict[str, Any]) -> bool:
    amr = claims.get("amr")
    return isinstance(amr, list) and "otp" in amr
