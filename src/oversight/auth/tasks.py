"""Housekeeping of login state: ended sessions and stale throttle state go away nightly."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from oversight.auth.models import AuthSession, LoginFailure, LoginThrottle
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
        description="delete long-ended sessions, stale failed logins and idle throttle keys",
    )


def purge_login_state(session: Session) -> None:
    """Delete sessions ended (expired or revoked) over 30 days ago with their refresh tokens,
    failed logins that no longer count (over an hour old), and the throttle rows of keys
    without a failure for an hour and no block left."""
    now = utcnow()
    cutoff = now - KEEP_ENDED_SESSIONS
    session.execute(
        delete(AuthSession).where(
            or_(AuthSession.expires_at < cutoff, AuthSession.revoked_at < cutoff)
        )
    )
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - WINDOW))
    # Every failure sets updated_at, so an old updated_at means a quiet hour. On PostgreSQL a
    # failure being counted meanwhile holds the row locked; the DELETE then re-checks the new
    # updated_at and spares the row.
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.updated_at < now - WINDOW,
            or_(LoginThrottle.blocked_until.is_(None), LoginThrottle.blocked_until < now),
        )
    )
