"""Two-factor authentication: TOTP enrolment, verification without replay, recovery codes,
and an administrator's reset.

Replay: a code is accepted only if its time step is later than the last step accepted for
the user, by one conditional UPDATE (`... WHERE last_used_step < :step`). Two requests racing
with the same code both compute the same step; the database lets exactly one UPDATE match.
Recovery codes are spent the same way (`... WHERE used_at IS NULL`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from oversight.audit.events import record_event
from oversight.auth import throttle
from oversight.auth.models import RecoveryCode, User, UserTotp
from oversight.auth.sessions import revoke_user_sessions
from oversight.config import Settings
from oversight.db.encrypted import UndecryptableField
from oversight.errors import Conflict, InvalidInput, NotAuthenticated, TooManyRequests
from oversight.kit.clock import utcnow
from oversight.security import totp
from oversight.security.tokens import token_digest

WRONG_CODE = "wrong or already used code"
WRONG_RECOVERY_CODE = "wrong or already used recovery code"


class InvalidTotp(NotAuthenticated):
    """A wrong or replayed authenticator code: 401 `invalid_totp`, told apart from a missing
    or expired token (`not_authenticated`), so a client asks for another code instead of
    starting the login again — the pending token still works."""

    code = "invalid_totp"


class InvalidRecoveryCode(NotAuthenticated):
    """A wrong or already spent recovery code: 401 `invalid_recovery_code`."""

    code = "invalid_recovery_code"


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str
    otpauth_uri: str


def is_enrolled(session: Session, user_id: int) -> bool:
    record = session.get(UserTotp, user_id)
    return record is not None and record.confirmed_at is not None


def start_enrolment(*, session: Session, settings: Settings, user: User) -> Enrolment:
    """A new secret for `user`, not yet in force: it replaces any unfinished enrolment, and
    only a valid code from it (`confirm_enrolment`) makes it the user's second factor."""
    record = session.get(UserTotp, user.id)
    if record is not None and record.confirmed_at is not None:
        raise Conflict("two-factor authentication is already set up; an administrator can reset it")
    secret = totp.new_secret()
    if record is None:
        record = UserTotp(user_id=user.id)
        session.add(record)
    record.secret = secret  # sealed with the active key (oversight.db.encrypted)
    record.created_at = utcnow()
    record.last_used_step = None
    session.flush()
    record_event(
        session, "auth.totp_enrolment_started", entity_type="user", entity_id=user.id,
        actor=_actor(user),
    )  # fmt: skip
    return Enrolment(secret, _uri(settings, user, secret))


def pending_enrolment(*, session: Session, settings: Settings, user: User) -> Enrolment:
    """The unfinished enrolment of `user` (for its QR code); 404-like Conflict when none."""
    record = session.get(UserTotp, user.id)
    if record is None or record.confirmed_at is not None:
        raise Conflict("no enrolment in progress: start one with POST /api/v1/auth/2fa/enrolment")
    secret = open_secret(record)
    return Enrolment(secret, _uri(settings, user, secret))


def _uri(settings: Settings, user: User, secret: str) -> str:
    return totp.provisioning_uri(secret, account=user.username, issuer=settings.auth.totp_issuer)


def confirm_enrolment(*, session: Session, settings: Settings, user: User, code: str) -> list[str]:
    """Put the enrolment in force with a valid code; the new recovery codes (shown once)."""
    record = session.get(UserTotp, user.id)
    if record is None or record.confirmed_at is not None:
        raise Conflict("no enrolment in progress: start one with POST /api/v1/auth/2fa/enrolment")
    _accept_code(session, settings, user, record, code, event="auth.totp_enrolled")
    record.confirmed_at = utcnow()
    session.flush()
    return _replace_recovery_codes(session, user.id)


def verify_code(*, session: Session, settings: Settings, user: User, code: str) -> None:
    """Accept a TOTP code of an enrolled user once; InvalidTotp otherwise."""
    record = session.get(UserTotp, user.id)
    if record is None or record.confirmed_at is None:
        raise Conflict("two-factor authentication is not set up for this user")
    _accept_code(session, settings, user, record, code, event="auth.totp_verified")


def _accept_code(
    session: Session, settings: Settings, user: User, record: UserTotp, code: str, *, event: str
) -> None:
    key = throttle.second_factor_key(settings.auth, user.id)
    now = utcnow()
    _check_throttle(session, user, key)
    step = totp.matching_step(open_secret(record), code, now=now)
    if step is None:
        _refuse(session, user, key, "auth.totp_failed", "wrong code", InvalidTotp(WRONG_CODE))
    accepted = session.execute(
        update(UserTotp)
        .where(
            UserTotp.user_id == user.id,
            or_(UserTotp.last_used_step.is_(None), UserTotp.last_used_step < step),
        )
        .values(last_used_step=step),
        execution_options={"synchronize_session": False},
    )
    if accepted.rowcount != 1:  # type: ignore[attr-defined]
        _refuse(
            session, user, key, "auth.totp_replayed", "code of an already used time step",
            InvalidTotp(WRONG_CODE),
        )  # fmt: skip
    session.refresh(record)
    throttle.note_success(session, key)
    record_event(session, event, entity_type="user", entity_id=user.id, actor=_actor(user))


def use_recovery_code(*, session: Session, settings: Settings, user: User, code: str) -> None:
    """Spend one recovery code of `user`; InvalidRecoveryCode for a wrong or used one."""
    key = throttle.second_factor_key(settings.auth, user.id)
    _check_throttle(session, user, key)
    digest = token_digest(totp.normalize_recovery_code(code))
    spent = session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    if spent.rowcount != 1:  # type: ignore[attr-defined]
        used_before = session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest)
        )
        if used_before:
            _refuse(
                session, user, key, "auth.recovery_code_reused", "recovery code already used",
                InvalidRecoveryCode(WRONG_RECOVERY_CODE),
            )  # fmt: skip
        _refuse(
            session, user, key, "auth.totp_failed", "wrong recovery code",
            InvalidRecoveryCode(WRONG_RECOVERY_CODE),
        )  # fmt: skip
    remaining = session.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    )
    throttle.note_success(session, key)
    record_event(
        session, "auth.recovery_code_used", entity_type="user", entity_id=user.id,
        details={"remaining": remaining}, actor=_actor(user),
    )  # fmt: skip


def _check_throttle(session: Session, user: User, key: throttle.ThrottleKey) -> None:
    wait = throttle.retry_after(session, [key], now=utcnow())
    if wait is not None:
        _audit_failure(session, user, "auth.totp_throttled", "too many failed codes")
        raise TooManyRequests("too many failed codes: wait before trying again", retry_after=wait)


def _refuse(
    session: Session,
    user: User,
    key: throttle.ThrottleKey,
    action: str,
    reason: str,
    error: NotAuthenticated,
) -> NoReturn:
    throttle.note_failure(session, [key])
    _audit_failure(session, user, action, reason)
    raise error


def _audit_failure(session: Session, user: User, action: str, reason: str) -> None:
    record_event(
        session, action, entity_type="user", entity_id=user.id, reason=reason,
        actor=_actor(user), survive_rollback=True,
    )  # fmt: skip


def _actor(user: User) -> dict[str, object]:
    """The user acting on their own second factor, also with only a pending token (which
    binds no principal to the session)."""
    return {
        "actor_type": "user",
        "actor_id": user.id,
        "actor_name": user.username,
        "actor_role": user.role.value,
    }


def regenerate_recovery_codes(*, session: Session, user: User) -> list[str]:
    """A new set of recovery codes; the old set stops working."""
    if not is_enrolled(session, user.id):
        raise Conflict("two-factor authentication is not set up for this user")
    codes = _replace_recovery_codes(session, user.id)
    record_event(
        session, "auth.recovery_codes_regenerated", entity_type="user", entity_id=user.id,
        actor=_actor(user),
    )  # fmt: skip
    return codes


def _replace_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = totp.new_recovery_codes()
    session.add_all(RecoveryCode(user_id=user_id, code_hash=token_digest(code)) for code in codes)
    session.flush()
    return codes


def reset(*, session: Session, user: User) -> None:
    """Remove a user's second factor and recovery codes and end their sessions; they enrol
    again at their next login (if their role requires it)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(UserTotp).where(UserTotp.user_id == user.id))
    revoked = revoke_user_sessions(session=session, user_id=user.id, reason="2fa reset")
    session.expire_all()
    record_event(
        session, "auth.totp_reset", entity_type="user", entity_id=user.id,
        details={"sessions_revoked": revoked},
    )  # fmt: skip


def require_code_or_recovery(code: str | None, recovery_code: str | None) -> None:
    if (code is None) == (recovery_code is None):
        raise InvalidInput(
            "send either 'code' (from the authenticator app) or 'recovery_code'",
            details={"field": "code"},
        )


def open_secret(record: UserTotp) -> str:
    """The TOTP secret of `record`, decrypted (a DecryptionError, UndecryptableField, if it
    was tampered with, moved to another row, or is under a key no longer configured)."""
    secret = record.secret
    if secret is None:  # the column is NOT NULL; a row is never stored without a secret
        raise UndecryptableField(f"user_totp.secret of user {record.user_id} is missing")
    return secret
