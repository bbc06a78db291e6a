"""Sentry reporting against a local envelope endpoint: request id, user id, no PII."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from builders import make_user
from fake_sentry import fake_sentry
from oversight.auth.dependencies import CurrentPrincipal
from oversight.config import SentrySettings
from oversight.jobs.registry import Job
from oversight.jobs.runner import run_job
from oversight.main import create_app
from oversight.observability import sentry
from oversight.vocabulary import Role

PII = ("ivan.petrov@example.com", "hunter2", "+7 916 123-45-67", "Ivan Petrov")


@pytest.fixture
def reporting(settings):
    with fake_sentry() as server:
        sentry.shutdown_sentry()
        configured = settings.model_copy(update={"sentry": SentrySettings(dsn=server.dsn)})
        assert sentry.init_sentry(configured)
        yield server, configured
        sentry.shutdown_sentry()


def test_api_crash_reaches_sentry_with_request_and_user_id_and_no_pii(
    reporting, engine, session, auth
):
    server, settings = reporting
    app = create_app(settings, engine=engine)

    @app.get("/boom")
    def explode(principal: CurrentPrincipal) -> None:
        full_name = "Ivan Petrov"  # a local variable: must not be sent
        raise RuntimeError(
            f"failed for full_name={full_name!r} ivan.petrov@example.com"
            " password=hunter2 +7 916 123-45-67"
        )

    from oversight.auth.dependencies import get_session

    def test_session():
        yield session

    app.dependency_overrides[get_session] = test_session
    user = make_user(session, Role.admin)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={**auth(user), "X-Request-ID": "req-sentry-1"})
    assert response.status_code == 500
    sentry.shutdown_sentry()

    (event,) = server.events()
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert event["tags"]["route"] == "/boom"
    assert event["user"] == {"id": str(user.id)}
    assert event["environment"] == "test"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    raw = b"".join(server.raw).decode("utf-8", "replace")
    for secret in PII:
        assert secret not in raw
    assert user.username not in json.dumps(event)


def test_failing_job_is_reported(reporting, engine):
    server, _ = reporting
    from oversight.db.session import session_factory

    def broken(session: Session) -> None:
        raise ValueError("job broke for ivan.petrov@example.com")

    assert not run_job(
        Job("broken_job", broken, every=None, cron="* * * * *"), session_factory(engine)
    )
    sentry.shutdown_sentry()
    (event,) = server.events()
    assert event["tags"]["job"] == "broken_job"
    assert event["tags"]["origin"] == "job:broken_job"
    assert "ivan.petrov@example.com" not in b"".join(server.raw).decode()


def test_scrubber_reduces_user_to_id_and_redacts_text():
    event = {
        "user": {"id": "7", "email": "a@b.ru", "ip_address": "1.2.3.4"},
        "exception": {"values": [{"value": "token=abcdefgh12345 for a@b.ru"}]},
        "extra": {"password": "x", "count": 3},
        "tags": {"request_id": "req-1", "customer": "x@y.ru"},
    }
    scrubbed = sentry.scrub_event(event)
    assert scrubbed["user"] == {"id": "7"}
    assert "a@b.ru" not in json.dumps(scrubbed)
    assert "abcdefgh12345" not in json.dumps(scrubbed)
    assert scrubbed["extra"]["count"] == 3
    assert scrubbed["tags"]["request_id"] == "req-1"
