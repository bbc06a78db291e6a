"""A real Redis that stops or freezes mid-test: sign-in fails closed, reads stay open, and a
frozen Redis is asked once per breaker period, not on every request."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest

import servers
from builders import PASSWORD, make_user
from edge import client_from, edge_settings, make_edge_app
from engines import EMBEDDED_ONLY
from oversight.observability import metrics
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY

LOGIN = "/api/v1/auth/login"
# A request that hangs on Redis fails the test instead of the suite: far above any real answer.
HANG = 60.0


@pytest.fixture
def redis_server():
    with servers.redis_server() as server:
        yield server


@pytest.fixture
def redis_app(app, settings, engine, redis_server):
    configured = edge_settings(
        settings,
        ratelimit={"redis_url": redis_server.url, "timeout_seconds": 0.5, "breaker_seconds": 30},
    )
    return make_edge_app(app, configured, engine)


@contextmanager
def frozen(server: servers.RedisServer) -> Iterator[None]:
    """The Redis process stopped (SIGSTOP): connections open, nothing answers."""
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)


def unavailable(rule: str, outcome: str) -> float:
    return metrics.sample_value(
        "rate_limit_storage_unavailable_total", {"rule": rule, "outcome": outcome}
    )


def login(client, username: str):
    return client.post(LOGIN, json={"username": username, "password": PASSWORD})


@pytest.mark.resilience
def test_redis_stopped_mid_test_closes_sign_in_and_keeps_reads_open(
    redis_app, redis_server, session, auth
):
    user = make_user(session, Role.engineer)
    with client_from(redis_app) as client:
        assert login(client, user.username).status_code == 200
        refused_before = unavailable("login", "refused")
        servers._stop_process(redis_server.process)

        signin = login(client, user.username)
        read = client.get("/api/v1/users/me", headers=auth(user))
        missing = client.get("/api/v1/nowhere")
    assert signin.status_code == 503
    assert signin.json()["error"]["code"] == "service_unavailable"
    assert int(signin.headers["retry-after"]) >= 1
    assert read.status_code == 200
    assert missing.status_code == 404
    assert unavailable("login", "refused") == refused_before + 1


@pytest.mark.resilience
def test_a_frozen_redis_does_not_stall_reads(redis_app, redis_server, session, auth):
    user = make_user(session, Role.engineer)
    with client_from(redis_app) as client:
        assert client.get("/api/v1/users/me", headers=auth(user)).status_code == 200
        allowed_before = unavailable("default", "allowed")
        with frozen(redis_server), ThreadPoolExecutor(1) as pool:
            reads = pool.submit(
                lambda: [
                    client.get("/api/v1/users/me", headers=auth(user)).status_code
                    for _ in range(10)
                ]
            ).result(timeout=HANG)
            signin = pool.submit(login, client, user.username).result(timeout=HANG)
            limiter = redis_app.state.rate_limiter
            assert limiter.breaker_open
    assert reads == [200] * 10
    assert signin.status_code == 503
    # Every read went through without Redis: per address and per user, 2 checks each.
    assert unavailable("default", "allowed") == allowed_before + 20


def test_a_frozen_redis_is_asked_once_per_breaker_period(redis_app, redis_server, caplog):
    with client_from(redis_app) as client:
        client.get("/x")
        with frozen(redis_server), ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: [client.get("/x") for _ in range(10)]).result(timeout=HANG)
    warnings = [r for r in caplog.records if "storage unavailable" in r.getMessage()]
    assert len(warnings) == 1
    assert "TimeoutError" in warnings[0].getMessage()


@pytest.mark.resilience
def test_limits_hold_again_once_redis_answers(app, settings, engine, redis_server):
    configured = edge_settings(
        settings,
        ratelimit={
            "redis_url": redis_server.url,
            "timeout_seconds": 0.5,
            "breaker_seconds": 0.2,
            "rules": {"default": {"per_ip": "3/minute"}},
        },
    )
    recovering = make_edge_app(app, configured, engine)
    with client_from(recovering) as client:
        with frozen(redis_server):
            assert client.get("/x").status_code == 404  # allowed without Redis
        limiter = recovering.state.rate_limiter
        deadline = time.monotonic() + HANG
        while limiter.breaker_open and time.monotonic() < deadline:
            client.get("/health")  # probes are exempt: they never touch the breaker
            time.sleep(0.05)
            client.get("/y")
        statuses = [client.get("/z").status_code for _ in range(4)]
    assert not limiter.breaker_open
    assert 429 in statuses
