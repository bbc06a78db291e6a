"""Login throttling without permanent lockout, kept in the database so every worker agrees.

Each key (an account, an IP address, a user's second factor) counts failures. After
`free_failures` consecutive failures every further failure blocks the key for an exponentially
growing delay (base, 2 x base, 4 x base, ... up to a maximum); `per_hour` failures within an
hour block it until that hour is over. Nothing blocks forever: the window ends, the delay
ends, and a successful login resets the account's back-off.

Failures are written even though the failed request rolls back (`keep_whatever_happens`).
Concurrent failures on one key serialise on its row (INSERT ... ON CONFLICT DO NOTHING, then
SELECT ... FOR UPDATE), so two workers never lose a count.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from oversight.auth.models import LoginThrottle
from oversight.config import AuthSettings
from oversight.db.session import keep_whatever_happens
from oversight.kit.clock import utcnow

WINDOW = timedelta(hours=1)
_PENDING = "oversight.throttle.failures"


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    free_failures: int
    per_hour: int
    base_seconds: float
    max_seconds: float

    def delay(self, consecutive_failures: int) -> float:
        """Seconds to wait after this many consecutive failures (0 while still free)."""
        beyond = consecutive_failures - self.free_failures
        if beyond <= 0:
            return 0.0
        return float(min(self.max_seconds, self.base_seconds * 2 ** min(beyond - 1, 40)))


@dataclass(frozen=True, slots=True)
class ThrottleKey:
    key: str
    rule: ThrottleRule


def account_rule(settings: AuthSettings) -> ThrottleRule:
    return ThrottleRule(
        free_failures=settings.login_free_failures,
        per_hour=settings.login_account_failures_per_hour,
        base_seconds=settings.login_backoff_base_seconds,
        max_seconds=settings.login_backoff_max_seconds,
    )


def ip_rule(settings: AuthSettings) -> ThrottleRule:
    return ThrottleRule(
        free_failures=settings.login_ip_free_failures,
        per_hour=settings.login_ip_failures_per_hour,
        base_seconds=settings.login_backoff_base_seconds,
        max_seconds=settings.login_backoff_max_seconds,
    )


def account_key(settings: AuthSettings, username: str) -> ThrottleKey:
    """Keyed by a hash of the name tried, known user or not: the throttle cannot tell an
    attacker which names exist, and the table holds no usernames."""
    digest = hashlib.sha256(username.strip().lower().encode("utf-8")).hexdigest()[:40]
    return ThrottleKey(f"account:{digest}", account_rule(settings))


def ip_key(settings: AuthSettings, client_ip: str) -> ThrottleKey:
    return ThrottleKey(f"ip:{client_ip[:64]}", ip_rule(settings))


def second_factor_key(settings: AuthSettings, user_id: int) -> ThrottleKey:
    return ThrottleKey(f"2fa:{user_id}", account_rule(settings))


def retry_after(session: Session, keys: list[ThrottleKey], *, now: datetime) -> float | None:
    """Seconds until every key allows another attempt, or None when they all do now."""
    names = [k.key for k in keys]
    blocked = session.scalars(
        select(LoginThrottle.blocked_until).where(
            LoginThrottle.key.in_(names), LoginThrottle.blocked_until > now
        )
    ).all()
    if not blocked:
        return None
    return max((until - now).total_seconds() for until in blocked if until is not None)


def note_failure(session: Session, keys: list[ThrottleKey]) -> None:
    """Count a failure on each key, whatever becomes of the current transaction."""
    session.info.setdefault(_PENDING, []).extend(keys)
    keep_whatever_happens(session, write_failures)


def write_failures(session: Session) -> None:
    now = utcnow()
    for throttle_key in session.info.pop(_PENDING, []):
        _count_failure(session, throttle_key, now)
    session.flush()


def note_success(session: Session, key: ThrottleKey) -> None:
    """End the key's back-off (its hourly count stays)."""
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key.key)
        .values(consecutive_failures=0, blocked_until=None, updated_at=utcnow())
    )


def _count_failure(session: Session, throttle_key: ThrottleKey, now: datetime) -> None:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(LoginThrottle)
        .values(
            key=throttle_key.key,
            consecutive_failures=0,
            window_started_at=now,
            window_failures=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.key == throttle_key.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    if now - row.window_started_at >= WINDOW:
        row.window_started_at, row.window_failures, row.consecutive_failures = now, 0, 0
    row.consecutive_failures += 1
    row.window_failures += 1
    rule = throttle_key.rule
    until: datetime | None = None
    if delay := rule.delay(row.consecutive_failures):
        until = now + timedelta(seconds=delay)
    if row.window_failures >= rule.per_hour:
        until = max(until or now, row.window_started_at + WINDOW)
    row.blocked_until = until
