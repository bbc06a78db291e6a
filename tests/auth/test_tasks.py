"""The nightly purge of login state."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from builders import make_user
from oversight.auth.models import AuthSession, LoginFailure, LoginThrottle, RefreshToken
from oversight.auth.tasks import purge_login_state
from oversight.kit.clock import utcnow
from oversight.vocabulary import Role


def test_purge_drops_long_ended_sessions_and_stale_throttle_state_only(session):
    user = make_user(session, Role.engineer)
    now = utcnow()
    sessions = {
        "old-expired": AuthSession(
            id="a" * 32, user_id=user.id, expires_at=now - timedelta(days=31),
        ),
        "old-revoked": AuthSession(
            id="b" * 32, user_id=user.id, expires_at=now + timedelta(days=1),
            revoked_at=now - timedelta(days=31),
        ),
        "recently-revoked": AuthSession(
            id="c" * 32, user_id=user.id, expires_at=now + timedelta(days=1),
            revoked_at=now - timedelta(days=1),
        ),
        "live": AuthSession(id="d" * 32, user_id=user.id, expires_at=now + timedelta(days=1)),
    }  # fmt: skip
    session.add_all(sessions.values())
    session.flush()
    session.add(RefreshToken(session_id="a" * 32, token_hash="f" * 64, expires_at=now))
    session.add_all(
        [
            LoginThrottle(key="ip:stale", updated_at=now - timedelta(hours=2)),
            LoginThrottle(
                key="ip:blocked", updated_at=now - timedelta(hours=2),
                blocked_until=now + timedelta(minutes=5),
            ),
            LoginThrottle(key="ip:current", updated_at=now - timedelta(hours=0.5)),
        ]
    )  # fmt: skip
    session.flush()
    session.add_all(
        [
            LoginFailure(key="ip:stale", failed_at=now - timedelta(hours=2)),
            LoginFailure(key="ip:current", failed_at=now - timedelta(hours=1.5)),
            LoginFailure(key="ip:current", failed_at=now - timedelta(hours=0.5)),
        ]
    )
    session.flush()
    purge_login_state(session)
    session.expire_all()
    assert set(session.scalars(select(AuthSession.id))) == {"c" * 32, "d" * 32}
    assert session.scalars(select(RefreshToken)).all() == []
    assert set(session.scalars(select(LoginThrottle.key))) == {"ip:blocked", "ip:current"}
    assert session.scalars(select(LoginFailure.failed_at)).all() == [now - timedelta(hours=0.5)]
