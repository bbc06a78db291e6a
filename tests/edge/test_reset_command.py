"""`oversight ratelimit reset` lifts a limit at once (Redis-backed limits)."""

from __future__ import annotations

import pytest
import redis
from typer.testing import CliRunner

import servers
from builders import make_user
from edge import OUTSIDE, client_from, edge_settings, make_edge_app
from engines import EMBEDDED_ONLY
from oversight.cli import app as cli
from oversight.config import get_settings
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY

runner = CliRunner()


@pytest.fixture(scope="module")
def redis_url():
    with servers.redis_server() as server:
        yield server.url


@pytest.fixture
def limited(app, settings, engine, redis_url, monkeypatch):
    redis.Redis.from_url(redis_url).flushdb()
    monkeypatch.setenv("OVERSIGHT_RATELIMIT__REDIS_URL", redis_url)
    get_settings.cache_clear()
    configured = edge_settings(
        settings,
        ratelimit={
            "redis_url": redis_url,
            "rules": {"default": {"per_ip": "1/minute"}, "login": {"per_user": "1/minute"}},
        },
    )
    yield make_edge_app(app, configured, engine)
    get_settings.cache_clear()


def test_reset_an_address(limited):
    with client_from(limited) as client:
        client.get("/x")
        assert client.get("/x").status_code == 429
        result = runner.invoke(cli, ["ratelimit", "reset", "--ip", OUTSIDE[0]])
        assert result.exit_code == 0, result.output
        assert client.get("/x").status_code == 404


def test_reset_a_sign_in_account(limited, session):
    user = make_user(session, Role.engineer)
    body = {"username": user.username, "password": "wrong-guess"}
    with client_from(limited) as client:
        client.post("/api/v1/auth/login", json=body)
        assert client.post("/api/v1/auth/login", json=body).status_code == 429
        result = runner.invoke(cli, ["ratelimit", "reset", "--account", user.username.upper()])
        assert result.exit_code == 0, result.output
        assert client.post("/api/v1/auth/login", json=body).status_code == 401


def test_in_process_limits_cannot_be_reset_from_outside(monkeypatch):
    for name in ("OVERSIGHT_RATELIMIT__REDIS_URL", "OVERSIGHT_ANALYTICS__REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    try:
        result = runner.invoke(cli, ["ratelimit", "reset", "--ip", "192.0.2.1"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 1
    assert "restart the server" in result.output
