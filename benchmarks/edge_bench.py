# ruff: noqa: S603 - runs our own CLI (oversight migrate, users create) by design
"""Middleware cost measured in-process: ASGI calls at concurrency 32, no server, no network.

On a shared machine wrk's figures swing by a factor of two from round to round; calling the
ASGI app directly from 32 concurrent tasks in one process removes the server and the sockets
from the measurement, so what remains is the app and its middleware. Variants interleaved
round by round, median of the rounds:

1. the trivial endpoint of bench_http's bare app, alone and behind the edge layers (client
   address, headers, allowlists, body limit, per-address rate limit in memory);
2. an authenticated GET /api/v1/users/me of the full app with every middleware (edge, rate
   limits per address and per user, logging, metrics) against the same app with none.

Run: .venv/bin/python benchmarks/edge_bench.py  (BENCH_ROUNDS, BENCH_REQUESTS)
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import Row, Scale, print_rows, ratio_row

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1280"))
CONCURRENCY = 32


def _prepare() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="oversight-edge-bench-"))
    for key in [key for key in os.environ if key.startswith("OVERSIGHT_")]:
        del os.environ[key]
    os.environ["OVERSIGHT_DATABASE__URL"] = f"sqlite:///{tmp / 'bench.db'}"
    os.environ["OVERSIGHT_OBSERVABILITY__LOG_FORMAT"] = "json"
    subprocess.run([str(BIN / "oversight"), "migrate"], check=True, capture_output=True)
    subprocess.run(
        [str(BIN / "oversight"), "users", "create", "bench", "--role", "admin", "--name",
         "Bench", "--password-env", "BENCH_PASSWORD"],
        env=os.environ | {"BENCH_PASSWORD": "quiet harbour lantern 2026"}, check=True,
        capture_output=True,
    )  # fmt: skip


def _apps() -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    import apps

    from oversight.config import get_settings

    variants = {
        "bare": {},
        "edge": {},
        "full": {
            "OVERSIGHT_RATELIMIT__RULES__DEFAULT__PER_IP": "100000/second",
            "OVERSIGHT_RATELIMIT__RULES__DEFAULT__PER_USER": "100000/second",
        },
        "full-off": {
            "OVERSIGHT_RATELIMIT__ENABLED": "false",
            "OVERSIGHT_OBSERVABILITY__ACCESS_LOG": "false",
            "OVERSIGHT_OBSERVABILITY__METRICS_ENABLED": "false",
        },
    }
    made = {}
    for name, env in variants.items():
        saved = dict(os.environ)
        os.environ.update(env | {"BENCH_VARIANT": name})
        get_settings.cache_clear()
        made[name] = apps.make()
        os.environ.clear()
        os.environ.update(saved)
    get_settings.cache_clear()
    return made


def _token() -> str:
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from oversight.auth.models import User
    from oversight.auth.sessions import start_session
    from oversight.config import get_settings

    settings = get_settings()
    engine = create_engine(settings.database.url)
    with Session(engine) as session:
        user = session.scalars(select(User)).one()
        # as after the second factor: the bench measures the request path, not the sign-in
        issued = start_session(session=session, settings=settings, user=user, second_factor="totp")
        session.commit()
    engine.dispose()
    return issued.access_token


async def _throughput(app: Any, path: str, headers: list[tuple[bytes, bytes]]) -> float:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
        "query_string": b"", "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    async def client() -> None:
        for _ in range(REQUESTS // CONCURRENCY):
            await app(dict(scope, headers=[(b"host", b"bench"), *headers]), receive, send)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    elapsed = time.perf_counter() - start
    assert set(statuses) == {200}, set(statuses)
    return len(statuses) / elapsed


async def _run(made: dict[str, Any], token: str) -> dict[str, float]:
    auth = [(b"authorization", f"Bearer {token}".encode())]
    targets = {
        "bare": ("/items/5", []),
        "edge": ("/items/5", []),
        "full": ("/api/v1/users/me", auth),
        "full-off": ("/api/v1/users/me", auth),
    }
    results: dict[str, list[float]] = {name: [] for name in made}
    for _ in range(ROUNDS):
        for name, app in made.items():
            path, headers = targets[name]
            results[name].append(await _throughput(app, path, headers))
    return {name: statistics.median(values) for name, values in results.items()}


def rows(scale: Scale) -> list[Row]:
    """In-process middleware ratios."""
    global ROUNDS, REQUESTS
    ROUNDS, REQUESTS = scale.pick(ROUNDS, 1), scale.pick(REQUESTS, 300)
    _prepare()
    made = _apps()
    token = _token()
    # The access log is written (its cost is part of the middleware's), to nowhere.
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        med = asyncio.run(_run(made, token))
    note = f"in-process, concurrency 32, median of {ROUNDS}"
    return [
        ratio_row("in-process: edge middleware vs bare", med["edge"], med["bare"], "req/s",
                  at_least=None, note=note),
        ratio_row("in-process /users/me: all middleware vs none", med["full"], med["full-off"],
                  "req/s", at_least=0.85, note=note),
    ]  # fmt: skip


def main() -> None:
    print_rows(rows(Scale.from_environment()))


if __name__ == "__main__":
    main()
