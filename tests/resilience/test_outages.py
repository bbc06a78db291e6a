"""Under a small mixed load against `oversight serve` with two workers on PostgreSQL and
Redis: Redis killed and back, PostgreSQL restarted, a worker SIGKILLed. The API keeps
answering (never a 500), recovers without a restart, and loses nothing it acknowledged; the
audit chain verifies after each case.

One stack for the module (tests in this file run in order in one xdist worker): its own
PostgreSQL (the suite's shared one must not be restarted) with synchronous commits, so an
acknowledged write survives an immediate shutdown as it would in production.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import threading
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

    def sign_in(self) -> httpx.Response:
        """A login with a wrong password: 401 while its counters answer, 503 without."""
        wrong = {"username": "nobody", "password": "not-the-password"}
        return httpx.post(self.served.base + "/api/v1/auth/login", json=wrong, timeout=15)

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
        signin = s.sign_in()
        assert signin.status_code == 503  # sign-in fails closed without its counters
        assert signin.json()["error"]["code"] == "service_unavailable"
    finally:
        s.redis.start()
    s.wait_until(lambda: s.ready().status_code == 200)
    s.wait_until(lambda: s.sign_in().status_code == 401)  # counted again, not refused
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


SLOW_BODY_HEAD = (
    b"POST /api/v1/customers HTTP/1.1\r\nHost: x\r\n"
    b"Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"
)


class SlowClients:
    """Connections that trickle their request: half send header lines one at a time
    (slowloris), half announce a body and send it a byte at a time."""

    def __init__(self, port: int, count: int) -> None:
        self.sockets: list[socket.socket] = []
        self._stop = threading.Event()
        for number in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            if number % 2:
                sock.sendall(b"GET /api/v1/customers HTTP/1.1\r\nHost: x\r\n")
            else:
                sock.sendall(SLOW_BODY_HEAD)
            self.sockets.append(sock)
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        while not self._stop.wait(0.2):
            for number, sock in enumerate(self.sockets):
                with contextlib.suppress(OSError):
                    sock.sendall(b"X-Slow: 1\r\n" if number % 2 else b" ")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


def fast_latencies(s: Stack, count: int) -> list[float]:
    """Seconds per authenticated read on one kept-alive connection."""
    seconds = []
    headers = {"Authorization": f"Bearer {s.token}"}
    with httpx.Client(base_url=s.served.base, headers=headers, timeout=15) as client:
        client.get("/api/v1/users/me")  # connect outside the measurement
        for _ in range(count):
            started = time.perf_counter()
            assert client.get("/api/v1/users/me").status_code == 200
            seconds.append(time.perf_counter() - started)
    return seconds


def raw_exchange(port: int, request: bytes, timeout: float = 10) -> bytes:
    """Send `request` and read what comes back until the server closes or answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        with contextlib.suppress(OSError):
            sock.sendall(request)
        try:
            return sock.recv(4096)
        except ConnectionResetError:
            return b""


# Loopback reads take a few ms; below this floor, scheduler jitter on a busy 2-core host
# would decide the ratio rather than the server.
IDLE_FLOOR_SECONDS = 0.01


def test_slow_clients_do_not_starve_a_fast_one_and_oversized_requests_are_refused(outage_stack):
    s = outage_stack
    port = int(s.served.base.rsplit(":", 1)[1])
    idle: list[float] = []
    busy: list[float] = []
    for _ in range(2):  # interleaved rounds, so a burst of outside load hits both sides
        idle += fast_latencies(s, 10)
        slow = SlowClients(port, 40)
        try:
            time.sleep(0.5)
            busy += fast_latencies(s, 10)
        finally:
            slow.close()
    idle += fast_latencies(s, 10)
    ratio = statistics.median(busy) / max(statistics.median(idle), IDLE_FLOOR_SECONDS)
    assert ratio <= 2.0, (statistics.median(busy), statistics.median(idle))

    # A body over the limit is refused on its Content-Length, before it is sent.
    too_large = raw_exchange(port, b"POST /api/v1/customers HTTP/1.1\r\nHost: x\r\n"
                             b"Content-Type: application/json\r\n"
                             b"Content-Length: 50000000\r\n\r\n")  # fmt: skip
    assert too_large.startswith(b"HTTP/1.1 413"), too_large[:200]
    # uvicorn's httptools parser sets no header size limit (h11's 16 KiB is not used): a
    # 200 KB header is answered. In deployment nginx bounds headers (large_client_header_buffers)
    # and their time (client_header_timeout); see OPERATIONS.md "Resilience".
    huge_header = raw_exchange(port, b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: "
                               + b"a" * 200_000 + b"\r\n\r\n")  # fmt: skip
    assert huge_header.startswith(b"HTTP/1.1 "), huge_header[:200]
    assert httpx.get(s.served.base + "/health", timeout=15).status_code == 200
