# ruff: noqa: S603 - runs this checkout's own CLI and wrk by design
"""Load runs with wrk (benchmarks/load/mixed.lua) against `oversight serve`.

1. Two workers on PostgreSQL and Redis (started here as the tests start them), the demo
   company loaded, a steady mixed load (list and detail reads, audited writes, KPI
   summaries, exports from wrk; logins with 2FA beside it from Python) for BENCH_LOAD_SECONDS
   (60; quick: 15). Goals: zero 5xx, P95 under the 3 s objective, each worker's RSS flat from
   the 10th second to the end (growth at most 10 %), `oversight audit verify` passing after.
2. The embedded default (`make run`'s SQLite, one worker, 8 clients), the same mix, smaller:
   zero 5xx and the audit chain verifying after.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from common import HERE, Row, Scale, absolute_row, print_rows

import servers
import stack
from builders import PASSWORD, make_user
from oversight.config import Settings
from oversight.security import totp
from oversight.security.fieldcrypt import generate_key
from oversight.vocabulary import Role
from oversight.wiring import install as install_wiring
from oversight.wiring import open_database

# Where development keys are generated: shared by this process (which issues the token) and
# the servers it starts.
os.environ.setdefault("OVERSIGHT_STATE_DIR", tempfile.mkdtemp(prefix="oversight-bench-state-"))
LUA = HERE / "load" / "mixed.lua"
UNLIMITED = "1000000/minute"
LIMITS = {f"RATELIMIT__RULES__{rule}__{who}": UNLIMITED
          for rule in ("DEFAULT", "ANALYTICS", "EXPORTS", "LOGIN", "TWO_FACTOR")
          for who in ("PER_IP", "PER_USER")}  # fmt: skip


@dataclass
class Logins:
    """Password + TOTP logins at a steady pace, each user once per 30-second step."""

    base: str
    users: list[tuple[str, str]]  # username, TOTP secret
    every: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        # A code is accepted once per user and 30-second step (the enrolment used one).
        last_step = {name: _step() for name, _ in self.users}
        with httpx.Client(base_url=self.base, timeout=30) as client:
            while not self._stop.wait(self.every):
                free = [(n, s) for n, s in self.users if last_step[n] < _step()]
                if not free:
                    continue
                name, secret = free[0]
                last_step[name] = _step()
                started = time.perf_counter()
                first = client.post("/api/v1/auth/login", json={"username": name,
                                                                "password": PASSWORD})  # fmt: skip
                status = first.status_code
                if status == 200 and first.json().get("pending_token"):
                    pending = first.json()["pending_token"]
                    second = client.post(
                        "/api/v1/auth/2fa/verify",
                        json={"code": totp.code_at(secret, _now())},
                        headers={"Authorization": f"Bearer {pending}"},
                    )
                    status = second.status_code
                self.latencies.append(time.perf_counter() - started)
                self.statuses[status] = self.statuses.get(status, 0) + 1

    def stop(self) -> None:
        self._stop.set()


def _step() -> int:
    return int(time.time() // totp.STEP_SECONDS)


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime.now(UTC)


def enrol(base: str, username: str) -> str:
    """First login of an administrator: enrol TOTP, confirm; returns the secret."""
    with httpx.Client(base_url=base, timeout=30) as client:
        pending = client.post("/api/v1/auth/login", json={"username": username,
                                                          "password": PASSWORD}).json()  # fmt: skip
        bearer = {"Authorization": f"Bearer {pending['pending_token']}"}
        started = client.post("/api/v1/auth/2fa/enrolment", headers=bearer)
        started.raise_for_status()
        secret = str(started.json()["secret"])
        client.post("/api/v1/auth/2fa/enrolment/confirm", headers=bearer,
                    json={"code": totp.code_at(secret, _now())}).raise_for_status()  # fmt: skip
    return secret


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@dataclass
class LoadResult:
    requests: int
    seconds: float
    p95_ms: float
    server_errors: int
    statuses: str
    rss_growth: float  # worst worker: its settled RSS at the end against the 10th second's
    rss_note: str
    login_p95_ms: float
    logins: dict[int, int]
    audit: str


@contextmanager
def deployment(work: Path, *, postgres: bool) -> Iterator[tuple[str, dict[str, str], Settings]]:
    """A database (PostgreSQL + Redis, or a SQLite file), migrated, with the demo company."""
    keys = f"bench:{generate_key()}"
    with ExitStack() as stack_:
        extra: dict[str, str] = dict(LIMITS)
        if postgres:
            pg = stack_.enter_context(servers.postgres_server())
            redis = stack_.enter_context(servers.redis_server())
            pg.create_database("load")
            url = pg.url("load")
            extra |= {"RATELIMIT__REDIS_URL": redis.url, "ANALYTICS__REDIS_URL": redis.url,
                      "OBSERVABILITY__MULTIPROCESS_DIR": str(work / "multiproc")}  # fmt: skip
        else:
            url = f"sqlite:///{work / 'oversight.db'}"
        env = stack.oversight_env(url, keys, **extra)
        env["OVERSIGHT_OBSERVABILITY__ACCESS_LOG"] = "false"
        for argv in (["migrate"], ["demo-data", "--requests", "2000"]):
            done = stack.oversight(env, work, *argv)
            assert done.returncode == 0, done.stderr
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, env="test", database={"url": url}, encryption={"keys": keys}
        )
        yield url, env, settings


def rss_growth(series: list[list[tuple[float, int]]]) -> tuple[float, str]:
    """The worst worker's growth: the median of its last ten one-second samples against the
    median of seconds 10 to 20. Medians, because a request that builds an export or a KPI
    summary lifts RSS for a second and gives it back; a leak moves the median. The note names
    each worker's settled figures and its highest transient sample."""
    growth, parts = 0.0, []
    for samples in series:
        after = [(second, kib) for second, kib in samples if second >= 10]
        if len(after) < 4:
            continue
        early = statistics.median(kib for second, kib in after if second < 20)
        late = statistics.median(kib for _, kib in after[-10:])
        growth = max(growth, (late - early) / early)
        peak = max(kib for _, kib in after)
        parts.append(f"{early / 1024:.0f} -> {late / 1024:.0f} MiB (peak {peak / 1024:.0f})")
    return growth, "worker RSS, 10-20 s -> last 10 s medians: " + "; ".join(parts)


def run_load(work: Path, *, postgres: bool, workers: int, connections: int, seconds: int,
             delay_ms: int, logins_every: float) -> LoadResult:  # fmt: skip
    with deployment(work, postgres=postgres) as (_url, env, settings):
        install_wiring()
        engine = open_database(settings)
        token = stack.issue_admin_token(engine, settings)
        with engine.begin() as connection:
            from sqlalchemy import text

            customers = connection.execute(text("SELECT count(*) FROM customers")).scalar_one()
        from sqlalchemy.orm import Session

        with Session(engine) as session:
            names = [make_user(session, Role.admin).username for _ in range(12)]
            session.commit()
        with stack.serve(env, work, workers=workers) as served:
            users = [(name, enrol(served.base, name)) for name in names]
            pids = served.worker_pids() if workers > 1 else [served.process.pid]
            samples: dict[int, list[tuple[float, int]]] = {pid: [] for pid in pids}
            stop = threading.Event()

            def sample() -> None:
                started = time.monotonic()
                while not stop.wait(1.0):
                    for pid in pids:
                        samples[pid].append((time.monotonic() - started, rss_kib(pid)))

            sampler = threading.Thread(target=sample, daemon=True)
            logins = Logins(served.base, users, every=logins_every)
            login_thread = threading.Thread(target=logins.run, daemon=True)
            sampler.start()
            login_thread.start()
            wrk_env = os.environ | {"BENCH_TOKEN": token, "BENCH_CUSTOMERS": str(customers),
                                    "BENCH_DELAY_MS": str(delay_ms)}  # fmt: skip
            done = subprocess.run(
                ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
                 "--latency", "-s", str(LUA), served.base],
                env=wrk_env, capture_output=True, text=True, check=True,
            )  # fmt: skip
            stop.set()
            logins.stop()
            sampler.join()
            login_thread.join(30)
        engine.dispose()
        verify = stack.oversight(env, work, "audit", "verify")
    found = re.search(r"^RESULT (.*)$", done.stdout, re.M)
    assert found, done.stdout + done.stderr
    result = dict(part.split("=", 1) for part in found.group(1).split())
    growth, rss_note = rss_growth(list(samples.values()))
    login_times = sorted(logins.latencies) or [0.0]
    return LoadResult(
        requests=int(result["requests"]) + sum(logins.statuses.values()),
        seconds=float(result["seconds"]),
        p95_ms=float(result["p95_ms"]),
        server_errors=int(result["server_errors"])
        + sum(n for status, n in logins.statuses.items() if status >= 500),
        statuses=result["statuses"],
        rss_growth=growth,
        rss_note=rss_note,
        login_p95_ms=login_times[max(0, int(0.95 * len(login_times)) - 1)] * 1000,
        logins=logins.statuses,
        audit=(verify.stdout or verify.stderr).strip().splitlines()[0] if verify.returncode == 0
        else "BROKEN: " + (verify.stdout + verify.stderr).strip()[:200],
    )  # fmt: skip


def rows(scale: Scale) -> list[Row]:
    seconds = int(os.environ.get("BENCH_LOAD_SECONDS", scale.pick(60, 15)))
    out: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="oversight-load-") as tmp:
        work = Path(tmp) / "pg"
        work.mkdir()
        pg = run_load(work, postgres=True, workers=2, connections=16, seconds=seconds,
                      delay_ms=100, logins_every=1.0)  # fmt: skip
        note = (f"2 workers, PostgreSQL + Redis, wrk -c16 for {pg.seconds:.0f} s, "
                f"{pg.requests / pg.seconds:.0f} req/s; statuses {pg.statuses}; "
                f"2FA logins {pg.logins}")  # fmt: skip
        out += [
            absolute_row("load (2 workers, PG): 5xx responses", pg.server_errors, "", at_most=0,
                         note=note),
            absolute_row("load (2 workers, PG): P95 latency", pg.p95_ms, "ms", at_most=3000),
            absolute_row("load (2 workers, PG): 2FA logins completed (200)",
                         pg.logins.get(200, 0), "", at_least=1,
                         note=f"P95 {pg.login_p95_ms:.0f} ms; a user may sign in once per "
                         "30-second TOTP step, so a run shorter than a step may see none"),
            absolute_row("load (2 workers, PG): worst worker RSS growth from 10 s",
                         pg.rss_growth * 100, "%", at_most=10, note=pg.rss_note),
            absolute_row("load (2 workers, PG): audit verify after", float(pg.audit.startswith(
                "OK")), "", at_least=1, note=pg.audit[:120]),
        ]  # fmt: skip
        work = Path(tmp) / "sqlite"
        work.mkdir()
        lite = run_load(work, postgres=False, workers=1, connections=8,
                        seconds=max(10, seconds // 2), delay_ms=100, logins_every=3.0)  # fmt: skip
        note = (f"SQLite, 1 worker, wrk -c8 for {lite.seconds:.0f} s, "
                f"{lite.requests / lite.seconds:.0f} req/s; statuses {lite.statuses}; "
                f"2FA logins {lite.logins}; P95 {lite.p95_ms:.0f} ms")  # fmt: skip
        out += [
            absolute_row("load (embedded SQLite): 5xx responses", lite.server_errors, "",
                         at_most=0, note=note),
            absolute_row("load (embedded SQLite): audit verify after",
                         float(lite.audit.startswith("OK")), "", at_least=1,
                         note=lite.audit[:120]),
        ]  # fmt: skip
    return out


def main() -> None:
    print_rows(rows(Scale.from_environment()))


if __name__ == "__main__":
    main()
