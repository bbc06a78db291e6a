"""Housekeeping of login state: ended sessions and stale throttle counters go away nightly."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from oversight.auth.models import AuthSession, LoginThrottle
from oversight.auth.throttle import WINDOW
from oversight.config import Settings
from oversight.jobs.registry import JobRegistry
from oversight.kit.clock import utcnow

# Revoked sessions are kept a while, so a replayed token of theirs still reads as revoked
# (and is reported as such) rather than unknown.
KEEP_ENDED_SESSIONS = timedelta(days=30)


def register(jobs: JobRegistry, settings: Settings) -> None:
    jobs.add(
        "auth_purge_sessions",
        purge_login_state,
        cron="15 3 * * *",
        description="delete long-ended sessions and throttle counters of past windows",
    )


def purge_login_state(session: Session) -> None:
    """Delete sessions ended (expired or revoked) over 30 days ago with their refresh tokens,
    and throttle rows whose window and block are both over."""
    now = utcnow()
    cutoff = now - KEEP_ENDED_SESSIONS
    session.execute(
        delete(AuthSession).where(
            or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff)
        )
    )
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.window_started_at < now - WINDOW,
            or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now),
        )
    )
