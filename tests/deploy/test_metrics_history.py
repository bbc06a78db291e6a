"""Metrics history: 15 days at full resolution in the main Prometheus, one year of the
5-minute `longterm:*` recording rules in a second one that federates only those. Two real
Prometheus processes prove the federated series arrive and nothing else does."""

from __future__ import annotations

import json
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server

import servers
from processes import start, stop, wait_http

DEPLOY = Path(__file__).parents[2] / "deploy"
DOWNSAMPLE = DEPLOY / "prometheus/rules/downsample.yml"
LONG_RANGE = DEPLOY / "grafana/dashboards/long-range.json"


def downsample_rules() -> dict[str, str]:
    groups = yaml.safe_load(DOWNSAMPLE.read_text())["groups"]
    return {rule["record"]: rule["expr"] for group in groups for rule in group["rules"]}


def test_downsampled_rules_run_every_five_minutes_under_their_own_prefix():
    (group,) = yaml.safe_load(DOWNSAMPLE.read_text())["groups"]
    assert group["interval"] == "5m"
    assert all(name.startswith("longterm:") for name in downsample_rules())


def test_long_range_panels_read_only_the_long_term_store_and_cover_every_rule():
    dashboard = json.loads(LONG_RANGE.read_text())
    used = set()
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "prometheus-longterm", panel["title"]
        for target in panel["targets"]:
            names = set(re.findall(r"[a-z_]+:[a-z0-9_:]+", target["expr"]))
            assert names, target["expr"]
            assert names <= set(downsample_rules()), names
            used |= names
    assert used == set(downsample_rules())
    sources = yaml.safe_load(
        (DEPLOY / "grafana/provisioning/datasources/datasources.yml").read_text()
    )["datasources"]
    assert {"prometheus", "prometheus-longterm", "loki"} == {s["uid"] for s in sources}


def test_compose_and_host_keep_the_same_long_term_store():
    compose = yaml.safe_load((DEPLOY / "prometheus-longterm/prometheus.yml").read_text())
    host = yaml.safe_load((DEPLOY / "host/prometheus-longterm.yml").read_text())
    assert compose["scrape_configs"][0]["params"] == host["scrape_configs"][0]["params"]
    assert compose["global"] == host["global"]
    stack = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    assert "--storage.tsdb.retention.time=365d" in stack["prometheus-longterm"]["command"]
    unit = (DEPLOY / "host/systemd/prometheus-longterm.service").read_text()
    assert "--storage.tsdb.retention.time=365d" in unit


def test_host_and_compose_prometheus_differ_only_in_target_addresses():
    compose = yaml.safe_load((DEPLOY / "prometheus/prometheus.yml").read_text())
    host = yaml.safe_load((DEPLOY / "host/prometheus.yml").read_text())

    def without_addresses(config: dict[str, object]) -> str:
        text = json.dumps(config, sort_keys=True)
        return re.sub(r'"[a-z0-9.-]+:\d+"', '"ADDR"', re.sub(r"replacement\": \"[^\"]+", "", text))

    assert without_addresses(compose) == without_addresses(host)
    host_text = (DEPLOY / "host/prometheus.yml").read_text()
    for service in ("app:", "scheduler:", "postgres-exporter:", "redis-exporter:", "alertmanager:"):
        assert f'"{service}' not in host_text, service


@pytest.fixture
def exporter() -> Iterator[int]:
    """An application stand-in: the metrics the downsampling rules read, moving."""
    registry = CollectorRegistry()
    requests = Counter("http_requests", "", ["route", "status"], registry=registry)
    latency = Histogram("http_request_duration_seconds", "", registry=registry)
    port = servers.free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    done = threading.Event()

    def move() -> None:
        while not done.wait(0.1):
            requests.labels("/api/v1/requests", "200").inc()
            latency.observe(0.05)

    mover = threading.Thread(target=move, daemon=True)
    mover.start()
    yield port
    done.set()
    server.shutdown()
    thread.join(timeout=5)


def test_the_long_term_store_receives_the_downsampled_series_and_nothing_else(exporter, tmp_path):
    prometheus_bin = shutil.which("prometheus")
    assert prometheus_bin, "prometheus not installed: run scripts/ensure-system-deps.sh"
    main_port, longterm_port = servers.free_port(), servers.free_port()
    (tmp_path / "main").mkdir()
    (tmp_path / "longterm").mkdir()
    rules = yaml.safe_load(DOWNSAMPLE.read_text())
    rules["groups"][0]["interval"] = "1s"  # the test cannot wait five minutes
    (tmp_path / "main/downsample.yml").write_text(yaml.safe_dump(rules))
    main_config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["downsample.yml"],
        "scrape_configs": [
            {
                "job_name": "oversight-api",
                "static_configs": [{"targets": [f"127.0.0.1:{exporter}"]}],
            }
        ],
    }
    (tmp_path / "main/prometheus.yml").write_text(yaml.safe_dump(main_config))
    longterm = yaml.safe_load((DEPLOY / "prometheus-longterm/prometheus.yml").read_text())
    longterm["global"] |= {"scrape_interval": "1s", "scrape_timeout": "1s"}
    longterm["scrape_configs"][0]["static_configs"] = [{"targets": [f"127.0.0.1:{main_port}"]}]
    (tmp_path / "longterm/prometheus.yml").write_text(yaml.safe_dump(longterm))

    processes = []
    try:
        for name, port in (("main", main_port), ("longterm", longterm_port)):
            log = tmp_path / f"{name}.log"
            argv = [
                prometheus_bin,
                f"--config.file={tmp_path / name / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / name / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ]
            processes.append(start(argv, log, cwd=tmp_path / name))
            wait_http(f"http://127.0.0.1:{port}/-/ready", processes[-1], log)

        def names(port: int) -> set[str]:
            reply = httpx.get(f"http://127.0.0.1:{port}/api/v1/label/__name__/values", timeout=5)
            return set(reply.json()["data"])

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "longterm:http_requests:rate5m" not in names(
            longterm_port
        ):
            time.sleep(0.5)
        stored = names(longterm_port)
        assert {
            "longterm:http_requests:rate5m",
            "longterm:http_request_duration_seconds:p95_5m",
        } <= stored, stored
        assert "http_requests_total" in names(main_port)
        # Only the recording rules travel (and Prometheus's own per-target series).
        assert {n for n in stored if not n.startswith("longterm:")} <= {
            "up", "scrape_duration_seconds", "scrape_samples_post_metric_relabeling",
            "scrape_samples_scraped", "scrape_series_added",
        }  # fmt: skip
        query = httpx.get(
            f"http://127.0.0.1:{longterm_port}/api/v1/query",
            params={"query": "longterm:http_requests:rate5m"},
            timeout=5,
        ).json()["data"]["result"]
        assert query[0]["metric"]["route"] == "/api/v1/requests"
        assert float(query[0]["value"][1]) > 0
    finally:
        for process in processes:
            stop(process)
