"""Under a small mixed load against `oversight serve` with two workers on PostgreSQL and
Redis: Redis killed and back, PostgreSQL restarted, a worker SIGKILLed. The API keeps
answering (never a 500), recovers without a restart, and loses nothing it acknowledged; the
audit chain verifies after each case.

One stack for the module (tests in this file run in order in one xdist worker): its own
PostgreSQL (the suite's shared one must not be restarted) with synchronous commits, so an
acknowledged write survives an immediate shutdown as it would in production.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine

import servers
import stack
from oversight.config import Settings
from oversight.db.migrate import upgrade
from oversight.security.fieldcrypt import generate_key
from oversight.wiring import install as install_wiring
from oversight.wiring import open_database

pytestmark = pytest.mark.resilience

UNLIMITED = "1000000/minute"


@dataclass
class Stack:
    postgres: servers.PostgresServer
    redis: stack.RestartableRedis
    served: stack.Served
    engine: Engine
    env: dict[str, str]
    cwd: Path
    token: str

    def load(self, clients: int = 3) -> stack.Load:
        return stack.Load(self.served.base, self.token, clients=clients).start()

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"}
        return httpx.get(self.served.base + path, headers=headers, timeout=15, **kwargs)  # type: ignore[arg-type]

    def wait_until(self, condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, f"not within {timeout} s"
            time.sleep(0.1)

    def ready(self) -> httpx.Response:
        return httpx.get(self.served.base + "/ready", timeout=15)

    def finish(self, load: stack.Load) -> None:
        """What every case ends with: no 500, nothing acknowledged lost, the chain verifies."""
        load.stop()
        assert load.server_errors == []
        assert load.acknowledged, "the load acknowledged no write at all"
        stack.assert_nothing_lost(self.engine, load.acknowledged)
        stack.assert_audit_verifies(self.env, self.cwd)


@pytest.fixture(scope="module")
def outage_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    cwd = tmp_path_factory.mktemp("outages")
    keys = f"outage:{generate_key()}"
    with servers.postgres_server() as postgres, stack.restartable_redis() as redis:
        with _autocommit(postgres) as connection:
            connection.execute("ALTER SYSTEM SET synchronous_commit = on")
            connection.execute("SELECT pg_reload_conf()")
        postgres.create_database("outages")
        url = postgres.url("outages")
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, env="test", database={"url": url}, encryption={"keys": keys}
        )
        install_wiring()
        engine = open_database(settings)
        upgrade(engine)
        token = stack.issue_admin_token(engine, settings)
        env = stack.oversight_env(
            url, keys,
            RATELIMIT__REDIS_URL=redis.url,
            RATELIMIT__BREAKER_SECONDS="1",
            ANALYTICS__REDIS_URL=redis.url,
            RATELIMIT__RULES__DEFAULT__PER_IP=UNLIMITED,
            RATELIMIT__RULES__DEFAULT__PER_USER=UNLIMITED,
            RATELIMIT__RULES__ANALYTICS__PER_IP=UNLIMITED,
            RATELIMIT__RULES__ANALYTICS__PER_USER=UNLIMITED,
            OBSERVABILITY__MULTIPROCESS_DIR=str(cwd / "multiproc"),
        )  # fmt: skip
        try:
            with stack.serve(env, cwd, workers=2) as served:
                yield Stack(postgres, redis, served, engine, env, cwd, token)
        finally:
            engine.dispose()


def _autocommit(postgres: servers.PostgresServer):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(postgres.conninfo(), autocommit=True)


def test_redis_killed_mid_load_the_api_answers_on_and_resumes_without_a_restart(outage_stack):
    s = outage_stack
    assert s.ready().json()["checks"]["redis"] == "ok"
    load = s.load()
    s.wait_until(lambda: len(load.acknowledged) >= 3)
    s.redis.kill()
    try:
        s.wait_until(lambda: s.ready().status_code == 503)
        ready = s.ready().json()
        assert ready["failed"] == ["redis"]
        assert ready["checks"]["database"] == "ok"
        written = len(load.acknowledged)
        s.wait_until(lambda: len(load.acknowledged) >= written + 3)  # writes go on
        assert s.get("/api/v1/analytics/summary").status_code == 200  # KPI cache: computed
        signin = httpx.post(s.served.base + "/api/v1/auth/login", timeout=15,
                            json={"username": "nobody", "password": "not-the-password"})  # fmt: skip
        assert signin.status_code == 503  # sign-in fails closed without its counters
        assert signin.json()["error"]["code"] == "service_unavailable"
    finally:
        s.redis.start()
    s.wait_until(lambda: s.ready().status_code == 200)
    s.wait_until(
        lambda: httpx.post(s.served.base + "/api/v1/auth/login", timeout=15,
                           json={"username": "nobody", "password": "not-the-password"}
                           ).status_code == 401  # fmt: skip
    )
    written = len(load.acknowledged)
    s.wait_until(lambda: len(load.acknowledged) >= written + 3)
    s.finish(load)
    assert not any(status >= 500 for status in load.statuses), load.statuses


def test_postgres_restarted_mid_load_refuses_with_503_and_the_pool_recovers(outage_stack):
    s = outage_stack
    load = s.load()
    s.wait_until(lambda: len(load.acknowledged) >= 3)
    s.postgres.stop()
    try:
        s.wait_until(lambda: load.statuses[503] >= 3)
        assert s.ready().status_code == 503
    finally:
        s.postgres.start()
    s.wait_until(lambda: s.ready().status_code == 200)
    written = len(load.acknowledged)
    s.wait_until(lambda: len(load.acknowledged) >= written + 3)  # the pools reconnected
    s.finish(load)
    assert load.statuses[500] == 0


def test_a_worker_killed_during_writes_leaves_no_half_written_request(outage_stack):
    s = outage_stack
    load = s.load(clients=4)
    s.wait_until(lambda: len(load.acknowledged) >= 5)
    victim = s.served.worker_pids()[0]
    signal_sent = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    # The supervisor replaces it; the other worker answers meanwhile.
    s.wait_until(lambda: victim not in s.served.worker_pids()
                 and len(s.served.worker_pids()) == 2, timeout=60)  # fmt: skip
    written = len(load.acknowledged)
    s.wait_until(lambda: len(load.acknowledged) >= written + 5)
    assert time.monotonic() - signal_sent < 60
    s.finish(load)
