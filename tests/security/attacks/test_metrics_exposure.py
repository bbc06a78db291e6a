"""/metrics is not public by default and shows no money (issue 12, finding 7).

With neither a metrics token nor an allowlist configured, only loopback may scrape (a local
Prometheus works without set-up); business gauges with money are off unless enabled; and
production refuses to start with /metrics unprotected.
"""

from __future__ import annotations

import os
import secrets

import pytest
from fastapi.testclient import TestClient

from builders import make_invoice
from oversight.config import ObservabilitySettings, SettingsError, load_settings
from oversight.invoices.models import InvoiceStatus
from oversight.main import create_app
from oversight.security.fieldcrypt import generate_key

OUTSIDE = ("203.0.113.7", 40000)
LOOPBACK = ("127.0.0.1", 40000)


def test_an_outside_address_cannot_scrape_by_default(app):
    assert TestClient(app, client=OUTSIDE).get("/metrics").status_code == 403
    assert TestClient(app, client=("::1", 40000)).get("/metrics").status_code == 200
    assert TestClient(app, client=LOOPBACK).get("/metrics").status_code == 200


def test_no_money_on_metrics_unless_enabled(app, session, settings, engine):
    make_invoice(session, status=InvoiceStatus.issued)  # overdue by now
    body = TestClient(app, client=LOOPBACK).get("/metrics").text
    assert "oversight_overdue_invoices_amount" not in body
    enabled = settings.model_copy(
        update={"observability": ObservabilitySettings(business_money_metrics=True)}
    )
    collector = create_app(enabled, engine=engine).state.metric_collectors[0]
    collector._bind = session.connection()  # the test's uncommitted data
    names = {sample.name for metric in collector.collect() for sample in metric.samples}
    assert "oversight_overdue_invoices_amount" in names


@pytest.fixture
def production_environment(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OVERSIGHT_ENV", "production")
    monkeypatch.setenv("OVERSIGHT_ALLOW_SQLITE_IN_PRODUCTION", "true")  # not the point here
    monkeypatch.setenv("OVERSIGHT_AUTH__JWT_SECRET", secrets.token_urlsafe(32))
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__KEYS", f"prod:{generate_key()}")


def test_production_refuses_unprotected_metrics(production_environment, monkeypatch):
    with pytest.raises(SettingsError, match="METRICS_TOKEN"):
        load_settings()
    monkeypatch.setenv("OVERSIGHT_OBSERVABILITY__METRICS_ALLOW", '["10.0.0.0/8"]')
    assert load_settings().observability.metrics_networks == ("10.0.0.0/8",)


def test_production_starts_with_a_metrics_token(production_environment, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_OBSERVABILITY__METRICS_TOKEN", secrets.token_urlsafe(24))
    assert load_settings().observability.metrics_networks == ()
