"""Attack: guessing one account's password, and credential stuffing across accounts from one
address. Both end in 429 with Retry-After — even for the right password — and every attempt
is in the audit trail with the client address, user agent and outcome."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from builders import make_user
from logins import events, login
from oversight.auth import throttle
from oversight.auth.models import LoginFailure, LoginThrottle
from oversight.db.session import session_factory, unit_of_work
from oversight.kit.clock import utcnow
from oversight.vocabulary import Role
from races import race

TOOL = {"User-Agent": "hydra/9.5"}
GUESSES = ["123456789012", "password1234", "letmein12345", "qwertyuiop12", "iloveyou1234"]


@pytest.fixture
def client(client_with):  # type: ignore[no-untyped-def]
    return client_with(login_backoff_base_seconds=300)


def test_guessing_one_password_is_throttled_and_every_guess_is_audited(client, session):
    victim = make_user(session, Role.accountant)
    statuses = [
        login(client, victim.username, guess, headers=TOOL).status_code for guess in GUESSES
    ]
    assert statuses == [401, 401, 401, 401, 429]
    assert login(client, victim.username, headers=TOOL).status_code == 429
    failed = events(session, "auth.login_failed", entity_id=str(victim.id))
    throttled = events(session, "auth.login_throttled")
    assert len(failed) == 4
    assert len(throttled) == 2
    for event in failed + throttled:
        assert event.client_ip == "testclient"
        assert event.user_agent == "hydra/9.5"
        assert event.actor_name == victim.username
    assert {e.reason for e in failed} == {"wrong password"}
    assert all(guess not in (e.changes or "") for e in failed for guess in GUESSES)


def test_credential_stuffing_from_one_address_is_throttled_across_accounts(client_with, session):
    client = client_with(login_ip_free_failures=5, login_backoff_base_seconds=300)
    victims = [make_user(session, Role.engineer) for _ in range(7)]
    statuses = [
        login(client, victim.username, "Summer2026!leaked", headers=TOOL).status_code
        for victim in victims
    ]
    assert statuses == [401] * 6 + [429]
    assert len(events(session, "auth.login_failed")) == 6
    assert events(session, "auth.login_throttled")[-1].client_ip == "testclient"


def test_no_permanent_lockout_the_owner_gets_in_once_the_wait_is_over(client, session):
    victim = make_user(session, Role.engineer)
    for guess in GUESSES:
        login(client, victim.username, guess)
    assert login(client, victim.username).status_code == 429
    session.execute(update(LoginThrottle).values(blocked_until=utcnow() - timedelta(seconds=1)))
    assert login(client, victim.username).status_code == 200
    assert events(session, "auth.login_succeeded", entity_id=str(victim.id))


def test_concurrent_failures_on_one_key_are_all_counted(committed):
    """Failures of parallel guesses serialise on the key's throttle row: none is lost, so the
    streak and the hourly count are both exact."""
    rule = throttle.ThrottleRule(free_failures=1000, per_hour=100, base_seconds=1, max_seconds=1)
    key = throttle.ThrottleKey(f"account:race-{uuid.uuid4().hex}", rule)
    outcomes = race(committed.engine, 6, lambda s: throttle.record_failures(s, [key], now=utcnow()))
    assert outcomes == [None] * 6
    with unit_of_work(session_factory(committed.engine)) as check:
        assert check.get(LoginThrottle, key.key).consecutive_failures == 6
        counted = check.scalar(select(func.count()).where(LoginFailure.key == key.key))
        assert counted == 6
