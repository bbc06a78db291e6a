"""A real Prometheus scrapes the app and the scheduler with the bundle's configuration; every
recording rule and every Grafana panel expression is evaluated through its HTTP API."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

import servers
from processes import start as _start
from processes import stop as _stop
from processes import wait_http as _wait

DEPLOY = Path(__file__).parents[2] / "deploy"
# Expressions over these metrics must return data: the app or the scheduler exports them.
APP_METRIC = re.compile(r"\b(http_request|job_|job:|oversight|scheduler_leader|route:)")


def _bundle_config(tmp: Path, app_port: int, scheduler_port: int) -> Path:
    config = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    config["global"] |= {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config.pop("alerting")
    targets = {"oversight-api": app_port, "oversight-scheduler": scheduler_port}
    config["scrape_configs"] = [
        job | {"static_configs": [{"targets": [f"127.0.0.1:{targets[job['job_name']]}"]}]}
        for job in config["scrape_configs"]
        if job["job_name"] in targets
    ]
    shutil.copytree(DEPLOY / "prometheus/rules", tmp / "rules")
    # Groups with their own interval (the 5-minute downsampling) evaluate every second here.
    for path in (tmp / "rules").glob("*.yml"):
        rules = yaml.safe_load(path.read_text())
        for group in rules["groups"]:
            group.pop("interval", None)
        path.write_text(yaml.safe_dump(rules))
    path = tmp / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def panel_expressions() -> list[str]:
    exprs = []
    for path in sorted((DEPLOY / "grafana/dashboards").glob("*.json")):
        for panel in json.loads(path.read_text())["panels"]:
            exprs += [target["expr"] for target in panel["targets"]]
    return exprs


def recording_rules() -> list[tuple[str, str]]:
    """Every recording rule of the bundle whose inputs the app or the scheduler export."""
    found = []
    for path in sorted((DEPLOY / "prometheus/rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            found += [
                (rule["record"], rule["expr"])
                for rule in group["rules"]
                if "record" in rule and APP_METRIC.search(rule["expr"])
            ]
    return found


@pytest.mark.slow
def test_prometheus_scrapes_the_app_and_every_rule_and_panel_evaluates(tmp_path):
    prometheus_bin = shutil.which("prometheus")
    if prometheus_bin is None:
        pytest.fail("prometheus not installed: run scripts/ensure-system-deps.sh")
    oversight = str(Path(sys.executable).parent / "oversight")
    app_port, scheduler_port, prom_port = (servers.free_port() for _ in range(3))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OVERSIGHT_", "PROMETHEUS_"))}
    env |= {
        # The code under test, not whatever checkout the venv's `oversight` was installed from.
        "PYTHONPATH": str(Path(__file__).parents[2] / "src"),
        "OVERSIGHT_DATABASE__URL": f"sqlite:///{tmp_path / 'oversight.db'}",
        "OVERSIGHT_OBSERVABILITY__LOG_FORMAT": "json",
        "OVERSIGHT_OBSERVABILITY__BUSINESS_METRICS_TTL_SECONDS": "1",
        # The money gauge is off unless enabled; the Business dashboard's panel needs it.
        "OVERSIGHT_OBSERVABILITY__BUSINESS_MONEY_METRICS": "true",
        "OVERSIGHT_JOBS__DATABASE_HEALTH_SECONDS": "1",
    }
    subprocess.run([oversight, "migrate"], env=env, cwd=tmp_path, check=True, capture_output=True)
    processes = []
    try:
        app = _start([oversight, "serve", "--port", str(app_port)], tmp_path / "app.log",
                     env=env, cwd=tmp_path)  # fmt: skip
        processes.append(app)
        scheduler = _start([oversight, "scheduler", "--metrics-port", str(scheduler_port)],
                           tmp_path / "scheduler.log", env=env, cwd=tmp_path)  # fmt: skip
        processes.append(scheduler)
        config = _bundle_config(tmp_path, app_port, scheduler_port)
        prometheus = _start(
            [prometheus_bin, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            tmp_path / "prometheus.log", cwd=tmp_path,
        )  # fmt: skip
        processes.append(prometheus)
        base = f"http://127.0.0.1:{app_port}"
        _wait(f"{base}/health", app, tmp_path / "app.log")
        _wait(f"http://127.0.0.1:{scheduler_port}/metrics", scheduler, tmp_path / "scheduler.log")
        api = f"http://127.0.0.1:{prom_port}/api/v1"
        _wait(f"http://127.0.0.1:{prom_port}/-/ready", prometheus, tmp_path / "prometheus.log")

        def query(expr: str) -> list[object]:
            body = httpx.get(f"{api}/query", params={"query": expr}, timeout=10).json()
            assert body["status"] == "success", (expr, body)
            return body["data"]["result"]  # type: ignore[no-any-return]

        # Traffic for a few scrapes: successes, a 404 and a 401.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for path in ("/health", "/ready", "/no-such-page", "/api/v1/customers"):
                httpx.get(base + path, timeout=5)
            fed = [
                query("sum(rate(http_requests_total[5m])) > 0"),
                query("sum(rate(job_latency_seconds_count[15m])) > 0"),
            ]
            if all(fed):
                break
            time.sleep(0.5)

        # The recording rules evaluate every second: poll until each recorded series exists.
        rules = recording_rules()
        pending = [record for record, _ in rules]
        deadline = time.monotonic() + 30
        while pending and time.monotonic() < deadline:
            pending = [record for record in pending if not query(record)]
            if pending:
                time.sleep(0.2)
        for record, expr in rules:
            assert query(expr), f"recording rule {record} returned no data"
            assert query(record), f"recorded series {record} is empty"
        empty = []
        for expr in panel_expressions():
            result = query(expr)
            if APP_METRIC.search(expr) and not result:
                empty.append(expr)
        assert not empty, f"panels without data: {empty}"
        targets = httpx.get(f"{api}/targets", timeout=10).json()["data"]["activeTargets"]
        assert {t["labels"]["job"]: t["health"] for t in targets} == {
            "oversight-api": "up", "oversight-scheduler": "up",
        }  # fmt: skip
    finally:
        for process in reversed(processes):
            _stop(process)
