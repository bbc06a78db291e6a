# ruff: noqa: S603 - runs our own tools (uvicorn, wrk, oversight) by design
"""The request path: Oversight against a plain FastAPI app doing the same work (plain_app.py).

One uvicorn worker each, on the same database, driven by wrk at 1 and 16 connections; the two
apps alternate run by run (so a change in the shared machine's load hits both), and each
figure is the median of the rounds. Server CPU per request is the worker's user+system CPU
time during the run (/proc/<pid>/stat) divided by the requests it answered.

- list: GET /api/v1/requests?page_size=50 as an engineer (50 of their assigned requests);
- read: GET /api/v1/requests/{id} as the same engineer (one of their requests);
- create: POST /api/v1/requests as an administrator — Oversight audited, the plain app not.

Goals (issue 15): list and read >= 0.8x, create >= 0.7x, on SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/request_bench.py [--engine sqlite|postgresql]
     (BENCH_ROUNDS, default 3; BENCH_SECONDS, default 3; needs wrk)
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from common import Row, Scale, ratio_row

HERE = Path(__file__).parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
CONNECTIONS = (1, 16)
GOALS = {"list": 0.8, "read": 0.8, "create": 0.7}
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(name: str, factory: str, env: dict[str, str]) -> Server:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "uvicorn"), "--factory", factory, "--port", str(port), "--log-level",
         "warning", "--no-access-log", "--workers", "1"],
        cwd=HERE, env=env | {"BENCH_VARIANT": "full"}, stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(400):
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/v1/requests", timeout=1)
            return Server(name, process, port)
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{name} did not start")


def wrk(server: Server, path: str, connections: int, headers: dict[str, str],
        script: Path | None) -> tuple[float, float]:  # fmt: skip
    """(requests per second, server CPU ms per request) of one run."""
    args = ["wrk", f"-t{min(connections, 2)}", f"-c{connections}", f"-d{SECONDS}s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    if script is not None:
        args += ["-s", str(script)]
    before = server.cpu_seconds()
    out = subprocess.run([*args, f"http://127.0.0.1:{server.port}{path}"], capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    cpu = server.cpu_seconds() - before
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    assert rate and total, out
    if "Non-2xx" in out:
        raise RuntimeError(f"{server.name} {path}: errors\n{out}")
    return float(rate.group(1)), 1000 * cpu / max(int(total.group(1)), 1)


def _oversight(env: dict[str, str], *args: str) -> str:
    return subprocess.run([str(BIN / "oversight"), *args], env=env, check=True,
                          capture_output=True, text=True).stdout  # fmt: skip


def prepare(url: str, tmp: Path) -> dict[str, str]:
    """A migrated database with the demo company; the environment both apps run with."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    env |= {
        "OVERSIGHT_DATABASE__URL": url,
        "OVERSIGHT_AUTH__JWT_SECRET": secrets.token_urlsafe(48),
        "OVERSIGHT_ENCRYPTION__KEYS": "k1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "OVERSIGHT_OBSERVABILITY__LOG_FORMAT": "json",
        # Every request counted, none refused: ceilings far above what wrk reaches.
        "OVERSIGHT_RATELIMIT__RULES__DEFAULT__PER_IP": "100000/second",
        "OVERSIGHT_RATELIMIT__RULES__DEFAULT__PER_USER": "100000/second",
        "OVERSIGHT_STATE_DIR": str(tmp),
        # This checkout's code, whichever checkout the shared environment was installed from.
        "PYTHONPATH": os.pathsep.join((str(HERE), str(ROOT / "src"))),
    }
    _oversight(env, "migrate")
    _oversight(env, "demo-data", "--requests", "2000", "--months", "6")
    return env


def tokens(env: dict[str, str]) -> tuple[str, str, int, int]:
    """An engineer's and an administrator's access tokens (as after the second factor), one
    of the engineer's requests and a customer id, made in a child process with env's settings."""
    code = """
import oversight.models
from sqlalchemy import func, select
from oversight.auth.models import User
from oversight.auth.sessions import start_session
from oversight.config import get_settings
from oversight.db.session import session_factory
from oversight.service_requests.models import ServiceRequest as SR
from oversight.vocabulary import Role
from oversight.wiring import install, open_database
install()
settings = get_settings()
with session_factory(open_database(settings))() as s:
    engineer_id, _ = s.execute(select(SR.assigned_engineer_id, func.count()).where(
        SR.assigned_engineer_id.is_not(None)).group_by(SR.assigned_engineer_id)
        .order_by(func.count().desc())).first()
    engineer = s.get(User, engineer_id)
    admin = s.scalars(select(User).where(User.role == Role.admin, User.is_active)).first()
    request = s.scalar(select(SR.id).where(SR.assigned_engineer_id == engineer_id).limit(1))
    customer = s.scalar(select(SR.customer_id).limit(1))
    a = start_session(session=s, settings=settings, user=engineer, second_factor=None)
    b = start_session(session=s, settings=settings, user=admin, second_factor="totp")
    s.commit()
print(a.access_token, b.access_token, request, customer)
"""
    out = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True,
                         text=True).stdout.split()  # fmt: skip
    return out[0], out[1], int(out[2]), int(out[3])


@contextlib.contextmanager
def database(engine: str, tmp: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    sys.path.insert(0, str(ROOT))
    from tests.support.servers import postgres_server

    with postgres_server() as server:
        server.create_database("bench")
        yield server.url("bench", driver="postgresql")


def run_engine(engine: str) -> list[tuple[str, str, int, float, float, float, float]]:
    tmp = Path(tempfile.mkdtemp(prefix="oversight-request-bench-"))
    rows = []
    with database(engine, tmp) as url:
        env = prepare(url, tmp)
        engineer, admin, request_id, customer_id = tokens(env)
        script = tmp / "create.lua"
        script.write_text(
            'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
            f'wrk.body = \'{{"title": "Bench request", "customer_id": {customer_id}}}\'\n'
        )
        cases = {
            "list": ("/api/v1/requests?page_size=50", engineer, None),
            "read": (f"/api/v1/requests/{request_id}", engineer, None),
            "create": ("/api/v1/requests", admin, script),
        }
        servers = [start("oversight", "apps:make", env), start("plain", "plain_app:make", env)]
        try:
            for case, (path, token, lua) in cases.items():
                auth = {"Authorization": f"Bearer {token}"}
                for server in servers:  # answers, and warms up
                    method = "POST" if lua else "GET"
                    body = {"title": "Bench request", "customer_id": customer_id} if lua else None
                    answer = httpx.request(method, f"http://127.0.0.1:{server.port}{path}",
                                           headers=auth, json=body)  # fmt: skip
                    assert answer.status_code in (200, 201), (server.name, answer.text[:300])
                for connections in CONNECTIONS:
                    got: dict[str, list[tuple[float, float]]] = {s.name: [] for s in servers}
                    for round_ in range(ROUNDS):
                        order = servers if round_ % 2 == 0 else servers[::-1]
                        for server in order:
                            got[server.name].append(wrk(server, path, connections, auth, lua))
                    ours = got["oversight"]
                    plain = got["plain"]
                    rows.append((
                        engine, case, connections,
                        statistics.median(r for r, _ in ours),
                        statistics.median(r for r, _ in plain),
                        statistics.median(c for _, c in ours),
                        statistics.median(c for _, c in plain),
                    ))  # fmt: skip
        finally:
            for server in servers:
                server.process.terminate()
                server.process.wait()
    shutil.rmtree(tmp, ignore_errors=True)
    return rows


def rows(scale: Scale) -> list[Row]:
    """`make bench`'s rows: requests per second against the plain app, per engine, case and
    concurrency (quick: one round of one second)."""
    global ROUNDS, SECONDS
    ROUNDS, SECONDS = scale.pick(ROUNDS, 1), scale.pick(SECONDS, 1)
    return [
        ratio_row(f"request path {engine} {case} c{conns}", ours, plain, "req/s",
                  at_least=GOALS[case],
                  note=f"server CPU ms/request: ours {cpu_ours:.2f}, plain {cpu_plain:.2f}")
        for name in ("sqlite", "postgresql")
        for engine, case, conns, ours, plain, cpu_ours, cpu_plain in run_engine(name)
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both")
    engines = ["sqlite", "postgresql"] if parser.parse_args().engine == "both" else [
        parser.parse_args().engine]  # fmt: skip
    rows = [row for engine in engines for row in run_engine(engine)]
    print(f"\nrequest path, one worker each, median of {ROUNDS} x {SECONDS}s; load: "
          f"{Path('/proc/loadavg').read_text().split()[:3]}")  # fmt: skip
    print(f"{'engine':<11}{'case':<8}{'conns':>5} {'oversight/s':>11} {'plain/s':>9} "
          f"{'ratio':>6} {'goal':>5}  {'cpu ms/req ours':>15} {'plain':>6}")  # fmt: skip
    for engine, case, conns, ours, plain, cpu_ours, cpu_plain in rows:
        ratio = ours / plain
        mark = "ok" if ratio >= GOALS[case] else "below"
        print(f"{engine:<11}{case:<8}{conns:>5} {ours:>11.0f} {plain:>9.0f} {ratio:>6.2f} "
              f"{GOALS[case]:>5.2f}  {cpu_ours:>15.2f} {cpu_plain:>6.2f}  {mark}")  # fmt: skip


if __name__ == "__main__":
    main()
