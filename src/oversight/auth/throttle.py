"""Login throttling without permanent lockout, kept in the database so every worker agrees.

Each key (an account, an IP address, a user's second factor) counts failures. After
`free_failures` consecutive failures every further failure blocks the key for an exponentially
growing delay (base, 2 x base, 4 x base, ... up to a maximum); an hour without failures
forgets the streak, and a successful login resets it at once. The hourly cap holds over any
rolling hour: each failure is a `login_failures` row, and once `per_hour` of them fall within
the last hour the key is blocked until the oldest of those is an hour old, the moment the
hour admits one more. Nothing blocks forever.

Failures are written even though the failed request rolls back (`keep_whatever_happens`).
Concurrent failures on one key serialise on its `login_throttle` row (INSERT ... ON CONFLICT
DO NOTHING, then SELECT ... FOR UPDATE), so two workers never lose a count. Each write prunes
the key's failures older than an hour; the nightly purge (`auth.tasks`) takes the rest.

Attempts already past the check when the cap is reached (concurrent requests of one key)
still count, so under concurrency the last hour can hold a few more failures than `per_hour`,
never a whole second allowance.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from oversight.auth.models import LoginFailure, LoginThrottle
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
    record_failures(session, session.info.pop(_PENDING, []), now=utcnow())


def record_failures(session: Session, keys: list[ThrottleKey], *, now: datetime) -> None:
    """Count a failure at `now` on each key, in the session's current transaction."""
    for throttle_key in keys:
        _count_failure(session, throttle_key, now)
    session.flush()


def note_success(session: Session, key: ThrottleKey) -> None:
    """End the key's back-off (its failures of the last hour still count against the cap)."""
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key.key)
        .values(consecutive_failures=0, blocked_until=None, updated_at=utcnow())
    )


def _count_failure(session: Session, throttle_key: ThrottleKey, now: datetime) -> None:
    key, rule = throttle_key.key, throttle_key.rule
    row = _locked_row(session, key, now)
    since = now - WINDOW
    session.execute(
        delete(LoginFailure).where(LoginFailure.key == key, LoginFailure.failed_at <= since)
    )
    # what the prune left is the last hour's: none means a quiet hour, which ends the streak
    last_hour = select(LoginFailure.id).where(LoginFailure.key == key).limit(1)
    quiet_hour = session.scalar(last_hour) is None
    session.add(LoginFailure(key=key, failed_at=now))
    session.flush()
    row.consecutive_failures = 1 if quiet_hour else row.consecutive_failures + 1
    row.updated_at = now
    until: datetime | None = None
    if delay := rule.delay(row.consecutive_failures):
        until = now + timedelta(seconds=delay)
    # the per_hour-th most recent failure of the last hour: once it is an hour old, the
    # rolling hour holds per_hour - 1 failures and admits one more
    oldest_counted = session.scalar(
        select(LoginFailure.failed_at)
        .where(LoginFailure.key == key, LoginFailure.failed_at > since)
        .order_by(LoginFailure.failed_at.desc())
        .offset(max(rule.per_hour - 1, 0))
        .limit(1)
    )
    if oldest_counted is not None:
        until = max(until or now, oldest_counted + WINDOW)
    row.blocked_until = until


def _locked_row(session: Session, key: str, now: datetime) -> LoginThrottle:
    """The key's throttle row, created if missing, locked until the transaction ends."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    while True:
        session.execute(
            insert(LoginThrottle)
            .values(key=key, consecutive_failures=0, updated_at=now)
            .on_conflict_do_nothing(index_elements=["key"])
        )
        row = session.scalars(
            select(LoginThrottle)
            .where(LoginThrottle.key == key)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one_or_none()
        if row is not None:
            return row
        # the nightly purge deleted the row between the insert and the lock: insert again
