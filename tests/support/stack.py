"""A deployment in miniature for the resilience suite (tests/resilience).

Redis that can be killed and started again on the same port, `oversight serve` as a real
subprocess (its workers too), a small mixed load that records every write the API
acknowledged, and the checks every case ends with: each acknowledged write is in the database
and in the audit trail, and `oversight audit verify` passes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import processes
import servers
from builders import make_user
from oversight.auth.sessions import start_session
from oversight.config import Settings
from oversight.vocabulary import Role

BIN = Path(sys.executable).parent
SRC = Path(__file__).resolve().parents[2] / "src"  # this checkout's code, not the venv's


class RestartableRedis:
    """A redis-server (no persistence) that `kill()` SIGKILLs and `start()` brings back on
    the same port, as an operator restarting it would."""

    def __init__(self) -> None:
        self.port = servers.free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="oversight-redis-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = [shutil.which("redis-server") or "redis-server", "--bind", "127.0.0.1",
                "--port", str(self.port), "--save", "", "--appendonly", "no",
                "--dir", str(self.dir)]  # fmt: skip
        self.process = processes.start(argv, self.dir / "redis.log")
        deadline = time.monotonic() + 30
        while not servers._redis_ping("127.0.0.1", self.port, 0.5):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError((self.dir / "redis.log").read_text()[-2000:])
            time.sleep(0.02)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


@contextmanager
def restartable_redis() -> Iterator[RestartableRedis]:
    redis = RestartableRedis()
    try:
        redis.start()
        yield redis
    finally:
        redis.close()


def oversight_env(
    database_url: str, field_keys: str | None = None, **settings: str
) -> dict[str, str]:
    """The environment of an `oversight` subprocess: this test run's state directory (so
    tokens issued by the test are valid there), the database, and `settings` given as
    OVERSIGHT_ variable names without the prefix (`RATELIMIT__REDIS_URL=...`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OVERSIGHT_", "PROMETHEUS"))}
    env |= {
        "PYTHONPATH": str(SRC),
        "OVERSIGHT_STATE_DIR": os.environ["OVERSIGHT_STATE_DIR"],
        "OVERSIGHT_ENV": "test",
        "OVERSIGHT_DATABASE__URL": database_url,
        "OVERSIGHT_OBSERVABILITY__LOG_FORMAT": "json",
    }
    if field_keys is not None:
        env["OVERSIGHT_ENCRYPTION__KEYS"] = field_keys
    env |= {f"OVERSIGHT_{name}": value for name, value in settings.items()}
    return env


def oversight(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one `oversight` command to its end."""
    return subprocess.run([str(BIN / "oversight"), *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


@dataclass
class Served:
    """A running `oversight serve`."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def worker_pids(self) -> list[int]:
        """The supervisor's live worker processes (uvicorn spawns one child per worker)."""
        return [pid for pid in _children(self.process.pid) if _is_worker(pid)]

    def wait_workers(self, count: int, timeout: float = 60) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) == count:
                return pids
            time.sleep(0.1)
        raise AssertionError(f"{count} workers expected:\n{self.log.read_text()[-3000:]}")


def _children(parent: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue
        if any(line == f"PPid:\t{parent}" for line in lines):
            found.append(int(status.parent.name))
    return found


def _is_worker(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"spawn_main" in command


@contextmanager
def serve(env: dict[str, str], cwd: Path, workers: int = 2) -> Iterator[Served]:
    """`oversight serve --workers N` on a free port until the block ends."""
    port = servers.free_port()
    log = cwd / f"serve-{port}.log"
    argv = [str(BIN / "oversight"), "serve", "--port", str(port), "--workers", str(workers)]
    process = processes.start(argv, log, env=env, cwd=cwd)
    base = f"http://127.0.0.1:{port}"
    try:
        # Two workers importing the app on a busy 2-core host took over 60 s (load 11).
        processes.wait_http(f"{base}/health", process, log, timeout=240)
        served = Served(process, base, log)
        if workers > 1:
            served.wait_workers(workers, timeout=240)
        yield served
    finally:
        processes.stop(process)


def issue_admin_token(engine: Engine, settings: Settings) -> str:
    """An administrator with a session past its second factor; its access token."""
    with Session(engine, expire_on_commit=False) as session:
        user = make_user(session, Role.admin)
        issued = start_session(session=session, settings=settings, user=user, second_factor="totp")
        session.commit()
    return issued.access_token


@dataclass
class Load:
    """Clients in threads sending a mixed load (list, create, read, KPI summary) until
    `stop()`. `acknowledged` holds the ids of customers whose creation was answered 201."""

    base: str
    token: str
    clients: int = 3
    acknowledged: dict[int, str] = field(default_factory=dict)
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)
    transport_errors: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Load:
        for number in range(self.clients):
            thread = threading.Thread(target=self._client, args=(number,), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def count(self) -> int:
        return sum(self.statuses.values())

    def _client(self, number: int) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        sequence = 0
        with httpx.Client(base_url=self.base, headers=headers, timeout=15) as client:
            while not self._stop.is_set():
                sequence += 1
                name = f"Load {number}-{sequence} {time.monotonic_ns()}"
                self._send(client, "GET", "/api/v1/customers", params={"page_size": 5})
                created = self._send(client, "POST", "/api/v1/customers", json={"name": name})
                if created is not None and created.status_code == 201:
                    customer_id = created.json()["id"]
                    with self._lock:
                        self.acknowledged[customer_id] = name
                    self._send(client, "GET", f"/api/v1/customers/{customer_id}")
                if sequence % 3 == 0:
                    self._send(client, "GET", "/api/v1/analytics/summary")
                time.sleep(0.01)

    def _send(self, client: httpx.Client, method: str, path: str, **kwargs: object):  # type: ignore[no-untyped-def]
        try:
            response = client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.TransportError:
            with self._lock:
                self.transport_errors += 1
            return None
        with self._lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500 and not _is_database_unavailable(response):
                self.server_errors.append(f"{method} {path}: {response.status_code} "
                                          f"{response.text[:300]}")  # fmt: skip
        return response


def _is_database_unavailable(response: httpx.Response) -> bool:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return False
    return response.status_code == 503 and code in ("database_unavailable", "service_unavailable")


def assert_nothing_lost(engine: Engine, acknowledged: dict[int, str]) -> None:
    """Every acknowledged customer is in the table, and every customer in the table (the
    acknowledged ones and any whose answer was lost) has its creation in the audit trail."""
    with engine.connect() as connection:
        stored = set(connection.execute(text("SELECT id FROM customers")).scalars())
        audited = set(
            connection.execute(
                text("SELECT entity_id FROM audit_events WHERE action = 'customer.create'")
            ).scalars()
        )
    missing = set(acknowledged) - stored
    assert not missing, f"acknowledged but not stored: {sorted(missing)}"
    unaudited = {str(i) for i in stored} - audited
    assert not unaudited, f"stored without their audit event: {sorted(unaudited)}"


def assert_audit_verifies(env: dict[str, str], cwd: Path) -> str:
    result = oversight(env, cwd, "audit", "verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: "), result.stdout
    return result.stdout
