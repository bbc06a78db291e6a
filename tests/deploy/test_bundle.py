"""The deploy bundle checked by the real programs (promtool, amtool) and structurally; nginx has
its own module (test_nginx.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).parents[2] / "deploy"
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not installed: run scripts/ensure-system-deps.sh (make test does)")
    return path


def run(*argv: str, cwd: Path = DEPLOY) -> str:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def alert_rules() -> list[dict[str, object]]:
    data = yaml.safe_load((DEPLOY / "prometheus/rules/alerts.yml").read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def test_prometheus_config_is_valid():
    run(tool("promtool"), "check", "config", "prometheus.yml", cwd=DEPLOY / "prometheus")


def test_rules_are_valid():
    rules = sorted(str(p) for p in (DEPLOY / "prometheus/rules").glob("*.yml"))
    run(tool("promtool"), "check", "rules", *rules)


def test_promtool_unit_tests_pass():
    out = run(tool("promtool"), "test", "rules", "alerts_test.yml", cwd=DEPLOY / "prometheus/tests")
    assert "SUCCESS" in out


def test_every_alert_has_a_unit_test_severity_summary_and_runbook():
    tests = yaml.safe_load((DEPLOY / "prometheus/tests/alerts_test.yml").read_text())
    tested = {
        case["alertname"] for test in tests["tests"] for case in test.get("alert_rule_test", [])
    }
    operations = (DEPLOY.parent / "OPERATIONS.md").read_text().lower()
    for rule in alert_rules():
        name = rule["alert"]
        assert name in tested, f"{name} has no promtool test"
        assert rule["labels"]["severity"] in {"critical", "warning", "info", "none"}
        assert rule["annotations"]["summary"]
        anchor = rule["annotations"]["runbook_url"].rsplit("#", 1)[1]
        assert f"## {name.lower()}" in operations, f"OPERATIONS.md lacks a section for {name}"
        assert anchor == name.lower()


def test_design_policies_have_their_for_durations():
    rules = {rule["alert"]: rule for rule in alert_rules()}
    assert rules["JobBacklogHigh"]["for"] == "30m"
    assert rules["HostHighCpu"]["for"] == "10m"
    assert rules["HostHighMemory"]["for"] == "10m"
    assert rules["ApiLatencyHigh"]["for"] == "15m"
    assert "[5m]" in yaml.safe_dump(rules)  # error ratio over 5 minutes (recorded)


def test_alertmanager_config_is_valid():
    run(tool("amtool"), "check-config", "alertmanager/alertmanager.yml")
    config = yaml.safe_load((DEPLOY / "alertmanager/alertmanager.yml").read_text())
    routes = {tuple(route["matchers"]): route["receiver"] for route in config["route"]["routes"]}
    assert routes[('alertname="Watchdog"',)] == "deadmansswitch"
    assert config["inhibit_rules"][0]["source_matchers"] == ['severity="critical"']


def test_every_dashboard_panel_has_a_query():
    assert [path.stem for path in DASHBOARDS] == [
        "application", "business", "files", "infrastructure", "jobs-storage", "long-range",
    ]  # fmt: skip
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        assert dashboard["panels"], path
        for panel in dashboard["panels"]:
            assert panel["targets"], (path.name, panel["title"])
            for target in panel["targets"]:
                assert target["expr"].strip(), (path.name, panel["title"])


HOST_HUB = "http://127.0.0.1:8000/api/v1/alerts/alertmanager"
COMPOSE_HUB = "http://app:8000/api/v1/alerts/alertmanager"


def _webhooks(config: dict) -> dict[str, list[str]]:
    return {
        receiver["name"]: [hook["url"] for hook in receiver.get("webhook_configs", [])]
        for receiver in config["receivers"]
    }


def test_alertmanager_sends_every_alert_but_watchdog_to_the_hub_on_the_loopback():
    config = yaml.safe_load((DEPLOY / "alertmanager/alertmanager.yml").read_text())
    hooks = _webhooks(config)
    routes = {tuple(route["matchers"]): route["receiver"] for route in config["route"]["routes"]}
    for matchers, receiver in routes.items():
        if matchers != ('alertname="Watchdog"',):
            assert hooks[receiver] == [HOST_HUB], receiver
    assert hooks[config["route"]["receiver"]] == [HOST_HUB]
    for receiver in config["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            if hook["url"] == HOST_HUB:
                assert hook["send_resolved"] is True
                auth = hook["http_config"]["authorization"]
                assert (auth["type"], auth["credentials_file"]) == (
                    "Bearer",
                    "/etc/alertmanager/intake-token",
                )


def test_watchdog_goes_by_email_and_never_through_the_app():
    config = yaml.safe_load((DEPLOY / "alertmanager/alertmanager.yml").read_text())
    (switch,) = [r for r in config["receivers"] if r["name"] == "deadmansswitch"]
    assert switch["email_configs"][0]["to"]
    assert HOST_HUB not in _webhooks(config)["deadmansswitch"]


def test_under_compose_alertmanager_reaches_the_hub_by_service_name_and_nothing_else_differs():
    host = (DEPLOY / "alertmanager/alertmanager.yml").read_text()
    compose = (DEPLOY / "alertmanager/alertmanager-compose.yml").read_text()
    run(tool("amtool"), "check-config", "alertmanager/alertmanager-compose.yml")
    assert yaml.safe_load(compose) == yaml.safe_load(host.replace(HOST_HUB, COMPOSE_HUB))
    assert COMPOSE_HUB in compose
    services = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())["services"]
    assert "alertmanager-compose.yml" in services["alertmanager"]["command"][0]
    assert services["app"]["environment"]["OVERSIGHT_ALERTS__ALERTMANAGER_URL"] == (
        "http://alertmanager:9093"
    )


def test_the_oncall_panels_show_the_figures_with_their_goals():
    dashboard = json.loads((DEPLOY / "grafana/dashboards/application.json").read_text())
    panels = {panel["title"]: panel for panel in dashboard["panels"]}
    goals = {
        "MTTR, last 7 days (goal < 4 h)": 14400,
        "Time to acknowledge, last 7 days (goal < 15 min)": 900,
        "Alert noise, last 7 days (goal < 5 %)": 0.05,
        "KPI adoption by role, last 30 days (goal > 80 %)": 0.8,
    }
    for title, goal in goals.items():
        steps = panels[title]["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert steps[1]["value"] == goal, title


def test_loki_keeps_logs_thirty_days_and_alloy_labels_only_service_and_level():
    loki = yaml.safe_load((DEPLOY / "loki/loki.yml").read_text())
    assert loki["limits_config"]["retention_period"] == "720h"
    assert loki["compactor"]["retention_enabled"] is True
    alloy = (DEPLOY / "alloy/config.alloy").read_text()
    assert alloy.count("{") == alloy.count("}")
    for component in ("loki.source.file", "loki.process", "stage.json", "loki.write"):
        assert component in alloy
    labels = re.search(r"stage\.labels\s*\{\s*values\s*=\s*\{([^}]*)\}", alloy)
    assert labels is not None
    assert sorted(re.findall(r"(\w+)\s*=", labels.group(1))) == ["level", "service"]


def test_compose_and_systemd_keep_metrics_fifteen_days():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    assert "--storage.tsdb.retention.time=15d" in compose["services"]["prometheus"]["command"]
    assert {"app", "scheduler", "prometheus", "alertmanager", "grafana", "loki", "alloy",
            "nginx", "blackbox-exporter"} <= set(compose["services"])  # fmt: skip
    assert "retention.time=15d" in (DEPLOY / "host/prometheus.env").read_text()
