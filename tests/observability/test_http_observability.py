"""The middleware through the real app: request ids, access log line, route labels, metrics."""

from __future__ import annotations

import json
import random
import string

import pytest
from fastapi.testclient import TestClient

from builders import make_invoice, make_request, make_user
from oversight.analytics.gauges import BusinessCollector
from oversight.config import ObservabilitySettings
from oversight.invoices.models import InvoiceStatus
from oversight.observability import metrics
from oversight.observability.middleware import valid_request_id
from oversight.service_requests.models import RequestStatus
from oversight.vocabulary import Priority, Role


def access_lines(lines):
    return [line for line in lines if line.get("action") == "http_request"]


def test_request_id_is_taken_when_valid_and_returned(client):
    response = client.get("/health", headers={"X-Request-ID": "abc.DEF_123-x"})
    assert response.headers["x-request-id"] == "abc.DEF_123-x"


@pytest.mark.parametrize("bad", ["a" * 65, "has space", "semi;colon", "<script>", "a/b"])
def test_invalid_request_id_is_replaced(client, bad):
    response = client.get("/health", headers={"X-Request-ID": bad})
    generated = response.headers["x-request-id"]
    assert generated != bad
    assert valid_request_id(generated) == generated


def test_one_access_line_per_request_with_route_template_and_user(client, session, auth, json_logs):
    admin = make_user(session, Role.admin)
    request = make_request(session)
    response = client.get(
        f"/api/v1/requests/{request.id}", headers={**auth(admin), "X-Request-ID": "req-log-1"}
    )
    assert response.status_code == 200
    (line,) = access_lines(json_logs())
    assert line["route"] == "/api/v1/requests/{request_id}"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["user_id"] == admin.id
    assert line["request_id"] == "req-log-1"
    assert isinstance(line["duration_ms"], float)
    assert list(line)[:4] == ["ts", "level", "service", "action"]
    assert line["ts"].endswith("Z")


def test_unauthenticated_access_line_has_no_user(client, json_logs):
    client.get("/api/v1/customers")
    (line,) = access_lines(json_logs())
    assert line["status"] == 401
    assert "user_id" not in line


def test_requests_are_counted_by_route_template(client, session, auth):
    admin = make_user(session, Role.admin)
    request = make_request(session)
    labels = {"method": "GET", "route": "/api/v1/requests/{request_id}", "status": "200"}
    before = metrics.sample_value("http_requests_total", labels)
    for _ in range(3):
        client.get(f"/api/v1/requests/{request.id}", headers=auth(admin))
    assert metrics.sample_value("http_requests_total", labels) == before + 3
    assert (
        metrics.sample_value(
            "http_request_duration_seconds_count",
            {"method": "GET", "route": "/api/v1/requests/{request_id}"},
        )
        >= 3
    )


def test_docs_and_schema_are_labelled_with_their_own_routes(client, json_logs):
    """FastAPI serves /docs and /openapi.json from plain Starlette routes: still not unmatched."""
    for path in ("/docs", "/openapi.json"):
        labels = {"method": "GET", "route": path, "status": "200"}
        before = metrics.sample_value("http_requests_total", labels) or 0
        assert client.get(path).status_code == 200
        assert metrics.sample_value("http_requests_total", labels) == before + 1
    assert [line["route"] for line in access_lines(json_logs())] == ["/docs", "/openapi.json"]


def test_random_paths_collapse_into_one_series(client):
    def series() -> int:
        return sum(
            1
            for metric in metrics.REGISTRY.collect()
            if metric.name == "http_requests"
            for sample in metric.samples
            if sample.name == "http_requests_total"
        )

    rng = random.Random(4)
    client.get("/warm-up-unmatched")
    start = series()
    for _ in range(1000):
        path = "/" + "/".join(
            "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(1, 12)))
            for _ in range(rng.randint(1, 4))
        )
        client.get(path)
    assert series() - start <= 1
    assert (
        metrics.sample_value(
            "http_requests_total", {"method": "GET", "route": "unmatched", "status": "404"}
        )
        >= 1000
    )


def test_crash_is_500_with_the_request_id_and_a_redacted_log_line(app, json_logs):
    @app.get("/boom")
    def explode() -> None:
        raise RuntimeError("password=hunter2 for ivan@example.com")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "req-crash-1"})
    assert response.status_code == 500
    assert response.json()["error"]["details"] == {"request_id": "req-crash-1"}
    assert response.headers["x-request-id"] == "req-crash-1"
    lines = json_logs()
    (crash,) = [line for line in lines if line["action"] == "unhandled_error"]
    assert crash["request_id"] == "req-crash-1"
    assert "RuntimeError" in crash["exception"]
    assert "hunter2" not in json.dumps(lines)
    assert "ivan@example.com" not in json.dumps(lines)
    (access,) = access_lines(lines)
    assert access["status"] == 500
    assert access["route"] == "/boom"


def test_metrics_endpoint_serves_prometheus_text(app):
    # With no token and no allowlist configured, /metrics answers loopback only.
    client = TestClient(app, client=("127.0.0.1", 50000))
    client.get("/health")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for name in ("http_requests_total", "oversight_build_info", "oversight_open_requests",
                 "process_resident_memory_bytes", "job_runs_total"):  # fmt: skip
        assert name in response.text


def test_metrics_token_is_required_when_set(settings, engine):
    from oversight.main import create_app

    token = "".join(random.choices(string.ascii_letters, k=32))
    guarded = settings.model_copy(
        update={"observability": ObservabilitySettings(metrics_token=token)}
    )
    with TestClient(create_app(guarded, engine=engine)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
        ok = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200


def test_metrics_allowlist_refuses_other_addresses(settings, engine):
    from oversight.main import create_app

    guarded = settings.model_copy(
        update={"observability": ObservabilitySettings(metrics_allow=("10.0.0.0/8",))}
    )
    with TestClient(create_app(guarded, engine=engine)) as client:
        assert client.get("/metrics").status_code == 403  # testclient's address


def test_business_gauges_use_the_domain_definitions(session, settings):
    make_request(session, status=RequestStatus.new, priority=Priority.high)
    make_request(session, status=RequestStatus.in_progress, priority=Priority.high)
    make_request(session, status=RequestStatus.closed, priority=Priority.high)
    make_invoice(session, status=InvoiceStatus.issued)  # due 2026-03-31: overdue by now
    make_invoice(session, status=InvoiceStatus.paid)
    collector = BusinessCollector(session.connection(), settings)
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in collector.collect()
        for sample in metric.samples
    }
    assert samples[("oversight_open_requests", (("priority", "high"), ("status", "new")))] == 1
    assert (
        samples[("oversight_open_requests", (("priority", "high"), ("status", "in_progress")))] == 1
    )
    assert samples[("oversight_open_requests_past_sla", ())] == 2  # due 2026-03-05
    assert samples[("oversight_overdue_invoices", (("currency", "RUB"),))] == 1
    assert ("oversight_overdue_invoices_amount", (("currency", "RUB"),)) not in samples
    money = settings.model_copy(
        update={"observability": ObservabilitySettings(business_money_metrics=True)}
    )
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in BusinessCollector(session.connection(), money).collect()
        for sample in metric.samples
    }
    assert samples[("oversight_overdue_invoices_amount", (("currency", "RUB"),))] == 25000.0


def test_health_and_ready(client):
    assert client.get("/health").json() == {"status": "ok"}
    body = client.get("/ready").json()
    assert body == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_ready_is_503_naming_an_unmigrated_schema(database_url_factory, backend):
    from oversight.config import Settings
    from oversight.main import create_app
    from oversight.wiring import open_database

    settings = Settings(_env_file=None, env="test", database={"url": database_url_factory(backend)})
    engine = open_database(settings)
    try:
        with TestClient(create_app(settings, engine=engine)) as client:
            response = client.get("/ready")
    finally:
        engine.dispose()
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert body["checks"]["database"] == "ok"
    assert "not at head" in body["checks"]["migrations"]
