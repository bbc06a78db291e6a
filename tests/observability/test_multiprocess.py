"""Multiprocess metrics: two real uvicorn workers add up; dead workers' files are compacted."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

import servers
from oversight.observability.metrics import compact_dead_workers

WORKER_SCRIPT = """
import sys
from oversight.observability import metrics
for _ in range(int(sys.argv[1])):
    metrics.HTTP_REQUESTS.labels("GET", "/health", "200").inc()
    metrics.HTTP_DURATION.labels("GET", "/health").observe(0.01)
metrics.HTTP_IN_PROGRESS.inc()
"""


def scrape_total(text: str, route: str = "/health") -> float:
    total = 0.0
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels.get("route") == route:
                total += sample.value
    return total


def test_twenty_worker_restarts_leave_a_bounded_number_of_files(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for restart in range(20):
        subprocess.run([sys.executable, "-c", WORKER_SCRIPT, "5"], env=env, check=True)
        compact_dead_workers(tmp_path)
        files = sorted(path.name for path in tmp_path.glob("*.db"))
        # Only the archives remain: the file count (and so the scrape time) does not grow.
        assert files == ["counter_archive.db", "histogram_archive.db"], (restart, files)
    scrape = subprocess.run(
        [sys.executable, "-c", "from oversight.observability.metrics import render;"
         "import sys; sys.stdout.write(render().decode())"],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert scrape_total(scrape.stdout) == 100
    assert "http_requests_in_progress 0.0" in scrape.stdout


def _wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited: {log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"serve did not answer: {log.read_text()[-3000:]}")


def _worker_pids(tmp_path: Path) -> set[str]:
    files = (tmp_path / "multiproc").glob("counter_*.db")
    return {path.name.removesuffix(".db").split("_")[-1] for path in files}


@pytest.fixture
def redis_url():
    # Several workers count rate limits in Redis (in-process counting is refused).
    with servers.redis_server() as redis:
        yield redis.url


@pytest.mark.slow
def test_two_workers_counters_add_up(tmp_path, redis_url):
    port = servers.free_port()
    database = tmp_path / "oversight.db"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OVERSIGHT_", "PROMETHEUS_"))
    }
    env |= {
        "OVERSIGHT_DATABASE__URL": f"sqlite:///{database}",
        "OVERSIGHT_OBSERVABILITY__MULTIPROCESS_DIR": str(tmp_path / "multiproc"),
        "OVERSIGHT_OBSERVABILITY__LOG_FORMAT": "json",
        "OVERSIGHT_OBSERVABILITY__ACCESS_LOG": "false",
        "OVERSIGHT_RATELIMIT__REDIS_URL": redis_url,
    }
    oversight = str(Path(sys.executable).parent / "oversight")
    subprocess.run([oversight, "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [oversight, "serve", "--port", str(port), "--workers", "2"],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process, log)
        with httpx.Client(base_url=base, timeout=5) as client:
            before = scrape_total(client.get("/metrics").text)
            sent = 0
            # A fresh connection each time, so both workers get requests; the kernel decides
            # which worker accepts, so keep going (bounded) until both have answered some.
            while sent < 60 or (len(_worker_pids(tmp_path)) < 2 and sent < 2000):
                response = httpx.get(f"{base}/health", headers={"Connection": "close"}, timeout=5)
                assert response.status_code == 200
                sent += 1
            after = scrape_total(client.get("/metrics").text)
            lines = [
                line for line in client.get("/metrics").text.splitlines()
                if line.startswith("http_requests_in_progress")
            ]  # fmt: skip
        assert after - before == sent
        assert lines
        assert len(_worker_pids(tmp_path)) == 2  # both workers answered some of them
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
