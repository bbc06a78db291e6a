"""Who may enrol a second factor on an account that has none (issue 12, finding 10).

Whoever holds the password of an account that never enrolled could otherwise enrol their own
authenticator first and own the account. Enrolment by a caller who has not passed a second
factor (the "2FA pending" token of a sensitive role) needs one of:

- an enrolment token an administrator issued for that account (API or CLI): random, stored
  as its SHA-256, expiring (`auth.enrolment_token_hours`), spent by the enrolment it starts;
- the account being new: created less than `auth.first_enrolment_hours` ago.

Issuing, spending and refusing are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from oversight.audit.events import record_event
from oversight.auth.models import EnrolmentToken, User
from oversight.config import Settings
from oversight.errors import PermissionDenied
from oversight.kit.clock import utcnow
from oversight.security.tokens import new_opaque_token, token_digest

ENROLMENT_HINT = (
    "enrolling a second factor on this account needs an enrolment token from an administrator "
    "(POST /api/v1/users/{id}/two-factor/enrolment-token or `oversight users enrolment-token`)"
)


@dataclass(frozen=True, slots=True)
class IssuedEnrolmentToken:
    token: str
    expires_at: datetime


def issue(
    *, session: Session, settings: Settings, user: User, issued_by: int | None
) -> IssuedEnrolmentToken:
    """A new enrolment token for `user` (shown once; only its hash is kept)."""
    now = utcnow()
    token = new_opaque_token()
    expires_at = now + timedelta(hours=settings.auth.enrolment_token_hours)
    session.add(
        EnrolmentToken(
            user_id=user.id, token_hash=token_digest(token), issued_by_id=issued_by,
            created_at=now, expires_at=expires_at,
        )
    )  # fmt: skip
    session.flush()
    record_event(
        session, "auth.enrolment_token_issued", entity_type="user", entity_id=user.id,
        details={"expires_at": expires_at.isoformat()},
    )  # fmt: skip
    return IssuedEnrolmentToken(token, expires_at)


def admit(*, session: Session, settings: Settings, user: User, token: str | None) -> None:
    """Let `user` start enrolling, or refuse with 403 (audited, kept although the request
    rolls back). A given token is spent, whatever the account's age."""
    now = utcnow()
    actor = {"actor_type": "user", "actor_id": user.id, "actor_name": user.username,
             "actor_role": user.role.value}  # fmt: skip
    if token is not None:
        spent = session.execute(
            update(EnrolmentToken)
            .where(
                EnrolmentToken.token_hash == token_digest(token),
                EnrolmentToken.user_id == user.id,
                EnrolmentToken.used_at.is_(None),
                EnrolmentToken.expires_at > now,
            )
            .values(used_at=now),
            execution_options={"synchronize_session": False},
        )
        if spent.rowcount == 1:  # type: ignore[attr-defined]
            record_event(
                session, "auth.enrolment_token_used", entity_type="user", entity_id=user.id,
                actor=actor,
            )  # fmt: skip
            return
        reason = "invalid, used or expired enrolment token"
    elif now - user.created_at <= timedelta(hours=settings.auth.first_enrolment_hours):
        return
    else:
        reason = "enrolment token required"
    record_event(
        session, "access.denied", entity_type="user", entity_id=user.id, reason=reason,
        actor=actor, survive_rollback=True,
    )  # fmt: skip
    raise PermissionDenied(ENROLMENT_HINT.replace("{id}", str(user.id)))
