"""Login (password, throttling, the second step), password changes, and who a token names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import NoReturn

from sqlalchemy.orm import Session

from oversight.audit.events import record_event
from oversight.auth import repository as account_repository
from oversight.auth import throttle
from oversight.auth import two_factor as two_factor_service
from oversight.auth.access_tokens import (
    has_second_factor,
    issue_pending_token,
    verified_claims,
)
from oversight.auth.models import User
from oversight.auth.passwords import new_password_hash
from oversight.auth.principal import Principal
from oversight.auth.sessions import (
    IssuedSession,
    in_force,
    is_live,
    revoke_user_sessions,
    start_session,
)
from oversight.config import Settings
from oversight.context import current_context
from oversight.db.intent import note_intent
from oversight.errors import InvalidInput, NotAuthenticated, PermissionDenied, TooManyRequests
from oversight.kit.clock import utcnow
from oversight.security.passwords import passwords_for
from oversight.security.tokens import ACCESS, TWO_FACTOR_PENDING, ExpiredToken, InvalidToken

INVALID_CREDENTIALS = "invalid username or password"
INVALID_TOKEN = "invalid or expired access token"  # noqa: S105 - a message
ENROL_HINT = (
    "enrol at POST /api/v1/auth/2fa/enrolment, then confirm a code at "
    "POST /api/v1/auth/2fa/enrolment/confirm"
)
VERIFY_HINT = "send a code to POST /api/v1/auth/2fa/verify"

# The login's audit actions (README, "Login audit events"): the password step of a login
# with a second factor is `auth.password_accepted`; `auth.login_succeeded` means signed in.
LOGIN_SUCCEEDED = "auth.login_succeeded"
PASSWORD_ACCEPTED = "auth.password_accepted"  # noqa: S105 - an audit action
LOGIN_FAILED = "auth.login_failed"
LOGIN_THROTTLED = "auth.login_throttled"


class NextStep(StrEnum):
    verify = "verify"  # enrolled: send a TOTP code or a recovery code
    enrol = "enrol"  # the role requires 2FA and the user has not enrolled yet


@dataclass(frozen=True, slots=True)
class PendingLogin:
    """The password was right; `token` allows only `next_step`."""

    token: str
    lifetime: timedelta
    next_step: NextStep


def login(
    *, session: Session, settings: Settings, username: str, password: str
) -> IssuedSession | PendingLogin:
    """Check the password; then a session, or — for users with 2FA — a pending token.

    Audit: `auth.login_succeeded` when the password alone signs the user in; with a second
    factor still to come, `auth.password_accepted` (with the next step) now and
    `auth.login_succeeded` only from `finish_login`, once the second factor is done."""
    tried = username.strip().lower()
    user = authenticate(session=session, settings=settings, username=username, password=password)
    if two_factor_service.is_enrolled(session, user.id):
        step = NextStep.verify
    elif user.role in settings.auth.two_factor_roles:
        step = NextStep.enrol
    else:
        _login_event(session, LOGIN_SUCCEEDED, tried, user, None)
        return start_session(session=session, settings=settings, user=user, second_factor=None)
    _login_event(session, PASSWORD_ACCEPTED, tried, user, None, details={"next_step": step.value})
    token, lifetime = issue_pending_token(settings=settings, user=user)
    return PendingLogin(token, lifetime, step)


def finish_login(
    *, session: Session, settings: Settings, user: User, second_factor: str
) -> IssuedSession:
    """The session of a login whose second factor (`totp` or `recovery`) has just been
    accepted; audited as `auth.login_succeeded` with the factor used."""
    _login_event(
        session, LOGIN_SUCCEEDED, user.username, user, None,
        details={"second_factor": second_factor},
    )  # fmt: skip
    return start_session(session=session, settings=settings, user=user, second_factor=second_factor)


def _throttle_keys(settings: Settings, username: str) -> list[throttle.ThrottleKey]:
    keys = [throttle.account_key(settings.auth, username)]
    client_ip = current_context().client_ip
    if client_ip:
        keys.append(throttle.ip_key(settings.auth, client_ip))
    return keys


def authenticate(*, session: Session, settings: Settings, username: str, password: str) -> User:
    """The active user with these credentials; NotAuthenticated with one message otherwise.

    Unknown user, wrong password and disabled account are indistinguishable to the caller:
    same status, same body, and an unknown user costs a password verification too. Failures
    and throttled attempts are audit events here and count against the account and the client
    IP; the caller audits the success (`login`: it depends on what comes next).
    """
    tried = username.strip().lower()
    keys = _throttle_keys(settings, tried)
    wait = throttle.retry_after(session, keys, now=utcnow())
    if wait is not None:
        _login_event(session, LOGIN_THROTTLED, tried, None, f"retry after {wait:.0f} s")
        raise TooManyRequests("too many failed logins: try again later", retry_after=wait)
    passwords = passwords_for(settings.auth.argon2)
    user = account_repository.find_by_username(session, tried)
    if user is None:
        passwords.spend_verification_time(password)
        reason = "unknown user"
    elif not passwords.verify(user.password_hash, password):
        reason = "wrong password"
    elif not user.is_active:
        reason = "account disabled"
    else:
        throttle.note_success(session, keys[0])
        if passwords.needs_rehash(user.password_hash):
            note_intent(session, user, "user.password_rehashed", "hash parameters changed")
            user.password_hash = passwords.hash(password)
            session.flush()
        return user
    throttle.note_failure(session, keys)
    _login_event(session, LOGIN_FAILED, tried, user, reason)
    raise NotAuthenticated(INVALID_CREDENTIALS)


def _login_event(
    session: Session,
    action: str,
    tried: str,
    user: User | None,
    reason: str | None,
    *,
    details: dict[str, str] | None = None,
) -> None:
    """Kept even though a failed login's transaction rolls back; never the password itself.
    The request context adds the client IP and user agent."""
    accepted = action in (LOGIN_SUCCEEDED, PASSWORD_ACCEPTED)
    if user is not None and accepted:
        actor = {
            "actor_type": "user",
            "actor_id": user.id,
            "actor_name": user.username,
            "actor_role": user.role.value,
        }
    else:
        actor = {"actor_type": "anonymous", "actor_id": None, "actor_name": tried[:64],
                 "actor_role": None}  # fmt: skip
    record_event(
        session,
        action,
        entity_type="user" if user else None,
        entity_id=user.id if user else None,
        details={"username": tried[:64], **(details or {})},
        reason=reason,
        actor=actor,
        survive_rollback=not accepted,
    )


def change_password(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    current_password: str,
    new_password: str,
) -> int:
    """Replace the caller's password after checking the current one; ends their other
    sessions and returns how many. A wrong current password counts as a failed login."""
    user = account_repository.get_user_or_raise(session, principal.user_id)
    key = throttle.account_key(settings.auth, user.username)
    wait = throttle.retry_after(session, [key], now=utcnow())
    if wait is not None:
        record_event(session, "auth.password_change_throttled", entity_type="user",
                     entity_id=user.id, survive_rollback=True)  # fmt: skip
        raise TooManyRequests("too many failed attempts: try again later", retry_after=wait)
    if not passwords_for(settings.auth.argon2).verify(user.password_hash, current_password):
        throttle.note_failure(session, [key])
        record_event(
            session, "auth.password_change_failed", entity_type="user", entity_id=user.id,
            reason="wrong current password", survive_rollback=True,
        )  # fmt: skip
        raise InvalidInput(
            "the current password is not correct", details={"field": "current_password"}
        )
    new_hash = new_password_hash(
        settings=settings, password=new_password, username=user.username, field="new_password"
    )
    note_intent(session, user, "user.password_changed")
    user.password_hash = new_hash
    user.must_change_password = False
    session.flush()
    return revoke_user_sessions(
        session=session, user_id=user.id, reason="password changed", keep=principal.session_id
    )


def principal_from_token(*, session: Session, settings: Settings, token: str) -> Principal:
    """The principal a valid access token names, as the database knows them now.

    Reading the user (and the session) on every request means a disabled user, a changed
    role or a logout takes effect on the next request, not when the token expires. A
    "2FA pending" token, or an access token without a second factor for a role that needs
    one, opens nothing: 403 saying what to do instead.
    """
    claims = _token_claims(session, settings, token)
    if claims["typ"] == TWO_FACTOR_PENDING:
        user = _live_user(session, claims)
        enrolled = two_factor_service.is_enrolled(session, user.id)
        _two_factor_denied(
            session,
            user,
            "two-factor authentication pending: " + (VERIFY_HINT if enrolled else ENROL_HINT),
        )
    sid = claims.get("sid")
    if not isinstance(sid, str):
        _live_user(session, claims)  # refuses it, as any access token without a session
        raise NotAuthenticated(INVALID_TOKEN)
    # The account and its login session in one statement (the hot path of every request).
    caller = account_repository.find_caller(session, int(str(claims["sub"])), sid)
    if (
        caller is None
        or not caller.is_active
        or not in_force(caller.session_revoked_at, caller.session_expires_at)
    ):
        raise NotAuthenticated(INVALID_TOKEN)
    if caller.role in settings.auth.two_factor_roles and not has_second_factor(claims):
        _two_factor_denied(
            session,
            account_repository.get_user_or_raise(session, caller.user_id),
            f"role {caller.role.value!r} requires two-factor authentication: log in again"
            f" and verify a code, or {ENROL_HINT}",
        )
    return Principal(
        user_id=caller.user_id,
        username=caller.username,
        role=caller.role,
        customer_id=caller.customer_id,
        session_id=sid,
        dispatcher=caller.role in settings.desk.dispatcher_roles,
        must_change_password=caller.must_change_password,
    )


def two_factor_caller(*, session: Session, settings: Settings, token: str) -> tuple[User, bool]:
    """The user behind a pending or access token, for the 2FA endpoints; True if pending."""
    user, claims = _token_user(session, settings, token)
    return user, claims["typ"] == TWO_FACTOR_PENDING


def _token_user(session: Session, settings: Settings, token: str) -> tuple[User, dict[str, object]]:
    claims = _token_claims(session, settings, token)
    return _live_user(session, claims), claims


def _token_claims(session: Session, settings: Settings, token: str) -> dict[str, object]:
    """The claims of a valid access or "2FA pending" token; NotAuthenticated otherwise (and an
    audit event when the token is not an expired one of ours)."""
    try:
        return verified_claims(settings, token, token_types=frozenset({ACCESS, TWO_FACTOR_PENDING}))
    except ExpiredToken:
        raise NotAuthenticated(INVALID_TOKEN) from None
    except InvalidToken as error:
        # Not an expired token of ours: forged, tampered with, or from elsewhere.
        record_event(session, "auth.token_rejected", reason=str(error)[:200], survive_rollback=True)
        raise NotAuthenticated(INVALID_TOKEN) from None


def _live_user(session: Session, claims: dict[str, object]) -> User:
    """The active user the claims name, whose login session (if the token names one) is live;
    NotAuthenticated otherwise."""
    user = session.get(User, int(str(claims["sub"])))
    if user is None or not user.is_active:
        raise NotAuthenticated(INVALID_TOKEN)
    # Every access token belongs to a revocable session: one without a session id (however
    # validly signed) could not be ended by a logout or an administrator, so it opens nothing.
    sid = claims.get("sid")
    if claims["typ"] == ACCESS and sid is None:
        record_event(session, "auth.token_rejected", reason="no session id", survive_rollback=True)
        raise NotAuthenticated(INVALID_TOKEN)
    if sid is not None and not (isinstance(sid, str) and is_live(session, sid, user.id)):
        raise NotAuthenticated(INVALID_TOKEN)
    return user


def _two_factor_denied(session: Session, user: User, message: str) -> NoReturn:
    deny_user(session, user, message, reason="two-factor authentication missing")


def deny_user(session: Session, user: User, message: str, *, reason: str) -> NoReturn:
    """Refuse `user` with 403 and an `access.denied` audit event kept although the request
    rolls back — for callers who hold no principal yet (2FA pending or 2FA endpoints)."""
    record_event(
        session, "access.denied", entity_type="user", entity_id=user.id,
        reason=reason, survive_rollback=True,
        actor={"actor_type": "user", "actor_id": user.id, "actor_name": user.username,
               "actor_role": user.role.value},
    )  # fmt: skip
    raise PermissionDenied(message)
