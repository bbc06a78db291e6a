"""In-process rate limits are refused when several workers would each count on their own."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from engines import EMBEDDED_ONLY
from oversight import cli
from oversight.config import ApiSettings, Settings, get_settings
from oversight.edge.app import SharedStorageRequired, check_rate_limit_storage
from oversight.main import create_app

pytestmark = EMBEDDED_ONLY

runner = CliRunner()


@pytest.fixture
def serve_env(monkeypatch, tmp_path):
    # `serve` sets these for its workers; set-then-delete makes monkeypatch restore them.
    for name in ("WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    for name in list(os.environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", f"sqlite:///{tmp_path}/oversight.db")
    calls: list[dict[str, object]] = []
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: calls.append(kwargs))
    get_settings.cache_clear()
    yield calls
    get_settings.cache_clear()


def test_serve_with_two_workers_and_no_redis_refuses_to_start(serve_env):
    result = runner.invoke(cli.app, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "OVERSIGHT_RATELIMIT__REDIS_URL" in result.output
    assert serve_env == []


def test_serve_with_two_workers_and_redis_starts_without_uvicorns_proxy_rewriting(
    serve_env, monkeypatch
):
    monkeypatch.setenv("OVERSIGHT_RATELIMIT__REDIS_URL", "redis://127.0.0.1:6379/0")
    result = runner.invoke(cli.app, ["serve", "--workers", "2"])
    assert result.exit_code == 0, result.output
    (kwargs,) = serve_env
    assert kwargs["workers"] == 2
    assert kwargs["proxy_headers"] is False


def test_one_worker_may_count_in_memory(serve_env):
    assert runner.invoke(cli.app, ["serve"]).exit_code == 0


def test_an_app_started_among_several_workers_refuses_memory_storage(monkeypatch, settings):
    monkeypatch.setenv("WEB_CONCURRENCY", "4")
    with pytest.raises(SharedStorageRequired):
        create_app(settings)


def test_disabled_rate_limiting_needs_no_storage():
    disabled = Settings(_env_file=None, ratelimit={"enabled": False})  # type: ignore[call-arg]
    check_rate_limit_storage(disabled, workers=8)


def test_analytics_redis_serves_rate_limits_too():
    shared = Settings(_env_file=None, analytics={"redis_url": "redis://cache:6379/1"})  # type: ignore[call-arg]
    assert shared.rate_limit_redis_url == "redis://cache:6379/1"
    check_rate_limit_storage(shared, workers=8)


def test_the_deploy_bundle_gives_its_workers_a_shared_rate_limit_storage():
    import yaml

    deploy = Path(__file__).parents[2] / "deploy"
    app = yaml.safe_load((deploy / "docker-compose.yml").read_text())["services"]["app"]
    assert "--workers" in app["command"]
    assert app["environment"]["OVERSIGHT_RATELIMIT__REDIS_URL"].startswith("redis://")
    proxies = json.loads(app["environment"]["OVERSIGHT_API__TRUSTED_PROXIES"])
    assert ApiSettings(trusted_proxies=proxies).trusted_proxies == tuple(proxies)


def test_serve_leaves_no_worker_settings_behind_for_later_tests():
    assert "WEB_CONCURRENCY" not in os.environ
    assert "PROMETHEUS_MULTIPROC_DIR" not in os.environ
