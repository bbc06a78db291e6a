# ruff: noqa: S603 - runs our own tools (uvicorn, wrk, oversight) by design
"""HTTP throughput with wrk against uvicorn, variants interleaved round by round.

1. An authenticated GET of the full app — edge (client address, security headers, allowlists,
   body limit, rate limits per address and per user, in memory) and logging and metrics on —
   against the same app with none of that middleware (goal ≥ 0.85); and observability alone.
2. The metrics middleware alone on a bare app, against prometheus-fastapi-instrumentator on the
   same app (goal: ahead), both relative to the bare app; and the edge layers alone on it.
3. `/metrics` render time with 10,000 series against `generate_latest` (goal at most 1.1x).

Run: make bench  (needs wrk: apt-get install wrk; pip install -e '.[bench]')
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from common import Row, Scale, print_rows, ratio_row

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(variant: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "uvicorn"), "--factory", "apps:make", "--port", str(port), "--log-level",
         "warning", "--no-access-log"],
        cwd=HERE, env=env | {"BENCH_VARIANT": variant}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    for _ in range(2400):  # up to 2 minutes: seven servers start at once on a busy host
        try:
            httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
            return process, port
        except httpx.HTTPError:
            time.sleep(0.05)
    process.terminate()
    process.wait()
    raise RuntimeError(f"{variant} did not start")


def wrk(url: str, headers: dict[str, str], seconds: int = SECONDS) -> float:
    args = ["wrk", "-t2", "-c32", f"-d{seconds}s"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def rows(scale: Scale) -> list[Row]:
    """wrk ratios (HTTP) and the /metrics render ratio."""
    rounds = scale.pick(ROUNDS, 1)
    seconds = scale.pick(SECONDS, 2)
    tmp = Path(tempfile.mkdtemp(prefix="oversight-bench-"))
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    base_env |= {
        "OVERSIGHT_DATABASE__URL": f"sqlite:///{tmp / 'bench.db'}",
        "OVERSIGHT_OBSERVABILITY__LOG_FORMAT": "json",
        "PYTHONPATH": str(HERE),
    }
    subprocess.run([str(BIN / "oversight"), "migrate"], env=base_env, check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run(
        # an engineer: a role without a second factor, so the login gives a full token
        [str(BIN / "oversight"), "users", "create", "bench", "--role", "engineer", "--name",
         "Bench", "--password-env", "BENCH_PASSWORD"],
        env=base_env | {"BENCH_PASSWORD": "quiet harbour lantern 2026"}, check=True, capture_output=True,
    )  # fmt: skip
    off = {"OVERSIGHT_OBSERVABILITY__ACCESS_LOG": "false",
           "OVERSIGHT_OBSERVABILITY__METRICS_ENABLED": "false",
           "OVERSIGHT_RATELIMIT__ENABLED": "false"}  # fmt: skip
    # Every request is counted, none refused: ceilings far above what wrk reaches, per second
    # so that the window holds about as many entries as a production per-minute limit.
    limited = {"OVERSIGHT_RATELIMIT__RULES__DEFAULT__PER_IP": "100000/second",
               "OVERSIGHT_RATELIMIT__RULES__DEFAULT__PER_USER": "100000/second"}  # fmt: skip
    variants = {
        "full": base_env | limited,
        "observability": base_env | {"OVERSIGHT_RATELIMIT__ENABLED": "false"},
        "full-off": base_env | off,
        "bare": base_env,
        "metrics": base_env,
        "edge": base_env,
        "instrumentator": base_env,
    }
    servers: dict[str, tuple[subprocess.Popen[bytes], int]] = {}
    try:
        for name, env in variants.items():  # in the try: a failed start stops the others
            servers[name] = start(name, env)
        port = servers["full"][1]
        token = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"username": "bench", "password": "quiet harbour lantern 2026"},
        ).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        results: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(rounds):
            for name, (_, port) in servers.items():
                if name.startswith("full") or name == "observability":
                    results[name].append(
                        wrk(f"http://127.0.0.1:{port}/api/v1/users/me", auth, seconds)
                    )
                else:
                    results[name].append(wrk(f"http://127.0.0.1:{port}/items/5", {}, seconds))
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.wait()
    med = {name: statistics.median(values) for name, values in results.items()}
    note = f"wrk -c32, median of {rounds} x {seconds} s"
    return [
        ratio_row("HTTP /users/me: all middleware vs none", med["full"], med["full-off"],
                  "req/s", at_least=0.85, note=note),
        ratio_row("HTTP /users/me: observability only vs none", med["observability"],
                  med["full-off"], "req/s", at_least=None, note=note),
        ratio_row("HTTP bare app: metrics middleware vs instrumentator", med["metrics"],
                  med["instrumentator"], "req/s", at_least=1.0, note=note),
        ratio_row("HTTP bare app: edge middleware vs none", med["edge"], med["bare"], "req/s",
                  at_least=None, note=note),
        render_ratio(),
    ]  # fmt: skip


def main() -> None:
    print_rows(rows(Scale.from_environment()))


def render_ratio() -> Row:
    from prometheus_client import CollectorRegistry, Counter, generate_latest

    from oversight.observability import metrics

    counter = Counter("bench_series", "10,000 series", ("a", "b"), registry=metrics.REGISTRY)
    for i in range(10_000):
        counter.labels(str(i % 100), str(i)).inc()
    ours, theirs = [], []
    for _ in range(7):
        start = time.perf_counter()
        metrics.render()
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        generate_latest(metrics.REGISTRY)
        theirs.append(time.perf_counter() - start)
    assert isinstance(CollectorRegistry(), CollectorRegistry)
    # Goal: our render takes at most 1.1x generate_latest's time, i.e. ratio >= 1 / 1.1.
    return ratio_row("/metrics render vs generate_latest (10,000 series)",
                     statistics.median(ours) * 1000, statistics.median(theirs) * 1000, "ms",
                     at_least=round(1 / 1.1, 3), higher_better=False, note="median of 7")  # fmt: skip


if __name__ == "__main__":
    main()
