"""The app's /metrics reports the latest audit chain verification (committed data, so a
database of its own)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from oversight.audit import service
from oversight.config import Settings
from oversight.db.migrate import upgrade
from oversight.db.session import session_factory, unit_of_work
from oversight.main import create_app
from oversight.wiring import open_database


@pytest.fixture
def own_app(backend, database_url_factory):
    settings = Settings(_env_file=None, env="test", database={"url": database_url_factory(backend)})
    engine = open_database(settings)
    upgrade(engine)
    with TestClient(create_app(settings, engine=engine), client=("127.0.0.1", 50000)) as client:
        yield client, engine
    engine.dispose()


def _sample(body: str, name: str) -> float | None:
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_no_verification_yet_means_no_sample(own_app):
    client, _ = own_app
    assert _sample(client.get("/metrics").text, "oversight_audit_chain_valid") is None


def test_passing_then_failing_verification_is_reported(own_app):
    client, engine = own_app
    factory = session_factory(engine)
    with unit_of_work(factory) as session:
        service.verify(session, None)
    body = client.get("/metrics").text
    assert _sample(body, "oversight_audit_chain_valid") == 1.0
    assert _sample(body, "oversight_audit_chain_verified_timestamp_seconds") > 1.7e9
    # Someone with database rights removes the first event; the next verification fails.
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        else:
            connection.execute(text("DROP TRIGGER audit_events_no_delete"))
        connection.execute(text("DELETE FROM audit_events WHERE id = 1"))
        if connection.dialect.name == "postgresql":
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    with unit_of_work(factory) as session:
        assert not service.verify(session, None).ok
    assert _sample(client.get("/metrics").text, "oversight_audit_chain_valid") == 0.0
