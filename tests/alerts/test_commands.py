"""`oversight alerts oncall|stats|deliver` against a migrated database on each engine."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from alert_hub import make_alert
from oversight.alerts.commands import open_database
from oversight.cli import app
from oversight.config import get_settings
from oversight.db.session import session_factory, unit_of_work

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch, backend, database_url_factory, tmp_path):
    for name in list(os.environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", database_url_factory(backend))
    monkeypatch.setenv(
        "OVERSIGHT_ALERTS__ONCALL__PEOPLE", json.dumps([{"name": "Anna"}, {"name": "Boris"}])
    )
    get_settings.cache_clear()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    yield
    get_settings.cache_clear()


def test_oncall_names_the_person_and_the_next(cli_env):
    result = runner.invoke(app, ["alerts", "oncall"])
    assert result.exit_code == 0, result.output
    assert "on call: " in result.output
    assert {"Anna", "Boris"} <= set(result.output.replace(";", " ").split())


def test_stats_prints_the_figures_beside_their_goals(cli_env):
    settings = get_settings()
    engine = open_database(settings)
    started = datetime.now(UTC) - timedelta(days=1)
    with unit_of_work(session_factory(engine)) as session:
        make_alert(
            session,
            "DatabaseDown",
            started,
            resolved_after=timedelta(hours=2),
            acked_after=timedelta(minutes=6),
        )
    engine.dispose()
    result = runner.invoke(app, ["alerts", "stats", "--days", "7"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "DatabaseDown" in result.output
    assert "2.00 h ✓" in result.output
    assert "6.0 min ✓" in result.output
    assert "MTTR (goal < 4" in result.output
    assert "(goal < 15 min)" in result.output


def test_deliver_with_nothing_queued(cli_env):
    result = runner.invoke(app, ["alerts", "deliver"])
    assert result.exit_code == 0, result.output
    assert "0 notification(s) delivered" in result.output


def test_malformed_json_in_a_setting_is_one_line_not_a_traceback(cli_env, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_ALERTS__ONCALL__PEOPLE", '[{"name": ')
    get_settings.cache_clear()
    result = runner.invoke(app, ["alerts", "oncall"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert "not valid JSON" in result.output


def test_an_unmigrated_database_is_one_line_not_a_traceback(cli_env, monkeypatch, tmp_path):
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    result = runner.invoke(app, ["alerts", "stats"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "oversight migrate" in result.output


def test_oncall_follows_the_rotation_stored_through_the_api(cli_env):
    from builders import make_user
    from oversight.alerts import rotation
    from oversight.alerts.schemas import RotationWrite
    from oversight.vocabulary import Role

    settings = get_settings()
    engine = open_database(settings)
    with unit_of_work(session_factory(engine)) as session:
        person = make_user(session, Role.engineer, full_name="Zoya Stored", email="zoya@ops.test")
        body = {"people": [person.username], "first_handover": "2026-01-05T09:00"}
        rotation.replace(session, settings=settings, body=RotationWrite.model_validate(body))
    engine.dispose()
    result = runner.invoke(app, ["alerts", "oncall"])
    assert result.exit_code == 0, result.output
    assert "on call: Zoya Stored until " in result.output
    assert "next: nobody" in result.output  # a rotation of one; Anna and Boris are not asked
