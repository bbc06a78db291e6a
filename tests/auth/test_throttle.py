"""Login throttling: exponential back-off per account and per IP, a cap over any rolling hour,
no lockout."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from builders import make_user
from logins import events, login
from oversight.auth import throttle
from oversight.auth.models import LoginFailure, LoginThrottle
from oversight.config import SettingsError, load_settings
from oversight.kit.clock import utcnow
from oversight.vocabulary import Role


def test_back_off_doubles_from_the_base_up_to_the_maximum():
    rule = throttle.ThrottleRule(free_failures=3, per_hour=100, base_seconds=1, max_seconds=900)
    assert [rule.delay(n) for n in range(1, 8)] == [0, 0, 0, 1, 2, 4, 8]
    assert rule.delay(30) == 900


def test_after_the_free_failures_the_account_answers_429_with_retry_after(client_with, session):
    client = client_with(login_backoff_base_seconds=120)
    engineer = make_user(session, Role.engineer)
    for _ in range(3):
        assert login(client, engineer.username, "wrong password!").status_code == 401
    assert login(client, engineer.username, "wrong password!").status_code == 401
    blocked = login(client, engineer.username)  # even the right password waits
    assert blocked.status_code == 429
    assert 100 <= int(blocked.headers["retry-after"]) <= 120
    assert blocked.json()["error"]["code"] == "too_many_requests"
    [event] = events(session, "auth.login_throttled")
    assert event.actor_name == engineer.username
    assert event.client_ip == "testclient"


def test_back_off_ends_and_a_success_resets_it(client_with, session):
    client = client_with(login_backoff_base_seconds=120)
    engineer = make_user(session, Role.engineer)
    for _ in range(4):
        login(client, engineer.username, "wrong password!")
    assert login(client, engineer.username).status_code == 429
    session.execute(update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    assert login(client, engineer.username).status_code == 200
    key = throttle.account_key(client.app.state.settings.auth, engineer.username).key
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.key == key))
    session.refresh(row)
    assert row.consecutive_failures == 0
    assert row.blocked_until is None
    failures = select(func.count()).where(LoginFailure.key == key)
    assert session.scalar(failures) == 4  # they still count against the hourly cap


def test_per_ip_back_off_spans_accounts(client_with, session):
    client = client_with(login_ip_free_failures=5, login_backoff_base_seconds=120)
    users = [make_user(session, Role.engineer) for _ in range(6)]
    for user in users:
        assert login(client, user.username, "wrong password!").status_code == 401
    fresh = make_user(session, Role.engineer)
    assert login(client, fresh.username).status_code == 429


def test_hourly_cap_blocks_for_up_to_an_hour(session, settings):
    rule = throttle.ThrottleRule(free_failures=1000, per_hour=100, base_seconds=1, max_seconds=1)
    key = throttle.ThrottleKey("account:cap-test", rule)
    for _ in range(99):
        throttle.note_failure(session, [key])
        throttle.write_failures(session)
    assert throttle.retry_after(session, [key], now=utcnow()) is None
    throttle.note_failure(session, [key])
    throttle.write_failures(session)
    wait = throttle.retry_after(session, [key], now=utcnow())
    assert wait is not None
    assert 3000 < wait <= 3600


def _attack(session, key: throttle.ThrottleKey, start: datetime, minutes: list[int]) -> list[int]:
    """Try a failure at each of these minutes after `start` when the key lets one through;
    the minutes whose failure was counted."""
    counted = []
    for minute in minutes:
        now = start + timedelta(minutes=minute)
        if throttle.retry_after(session, [key], now=now) is None:
            throttle.record_failures(session, [key], now=now)
            counted.append(minute)
    return counted


def test_no_rolling_hour_holds_more_failures_than_the_cap(session):
    """A fixed window starting at the first failure let 5 failures in at its end and 5 more
    at the start of the next (9 within minutes 55-64). Over a rolling hour the key is blocked
    until the oldest of its last 5 failures is an hour old, and not a minute longer."""
    rule = throttle.ThrottleRule(free_failures=1000, per_hour=5, base_seconds=1, max_seconds=1)
    key = throttle.ThrottleKey("account:rolling-test", rule)
    start = utcnow().replace(microsecond=0) - timedelta(hours=3)
    counted = _attack(session, key, start, [0, *range(55, 180)])
    assert max(sum(m <= c < m + 60 for c in counted) for m in counted) == 5
    assert counted == [0, 55, 56, 57, 58, 60, 115, 116, 117, 118, 120, 175, 176, 177, 178]
    last_attempt = start + timedelta(minutes=179)
    assert throttle.retry_after(session, [key], now=last_attempt) == 60  # until 120 + 60


def test_failures_over_an_hour_old_are_pruned_when_the_key_fails_again(session):
    rule = throttle.ThrottleRule(free_failures=1000, per_hour=100, base_seconds=1, max_seconds=1)
    key = throttle.ThrottleKey("account:prune-test", rule)
    start = utcnow() - timedelta(hours=2)
    _attack(session, key, start, [0, 1, 30, 62])
    kept = session.scalars(select(LoginFailure.failed_at).where(LoginFailure.key == key.key))
    assert sorted(kept) == [start + timedelta(minutes=m) for m in (30, 62)]


def test_an_hour_without_failures_ends_the_back_off_streak(session):
    rule = throttle.ThrottleRule(free_failures=2, per_hour=100, base_seconds=1, max_seconds=1)
    key = throttle.ThrottleKey("account:streak-test", rule)
    start = utcnow() - timedelta(hours=3)
    _attack(session, key, start, [0, 1, 2, 61])
    row = session.get(LoginThrottle, key.key)
    assert row.consecutive_failures == 4  # failures within the hour of the previous one
    _attack(session, key, start, [122])
    session.refresh(row)
    assert row.consecutive_failures == 1


def test_settings_cap_the_account_limit_at_100_per_hour():
    with pytest.raises(SettingsError, match="LOGIN_ACCOUNT_FAILURES_PER_HOUR"):
        load_settings(_env_file=None, auth={"login_account_failures_per_hour": 101})


def test_throttle_rows_hold_no_username(client, session):
    login(client, "someone.secret", "wrong password!")
    keys = session.scalars(select(LoginThrottle.key)).all()
    assert keys
    assert not any("someone.secret" in key for key in keys)


def test_failed_attempts_count_although_the_request_rolled_back(client, session):
    engineer = make_user(session, Role.engineer)
    login(client, engineer.username, "wrong password!")
    login(client, engineer.username, "wrong password!")
    key = throttle.account_key(client.app.state.settings.auth, engineer.username).key
    row = session.scalar(select(LoginThrottle).where(LoginThrottle.key == key))
    assert row.consecutive_failures == 2
