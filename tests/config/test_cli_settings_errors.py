"""A bad setting ends every command the same way: one `error: invalid setting …` line on
stderr and exit status 2, never a traceback (the one helper, `oversight.config.cli`)."""

from __future__ import annotations

import os

import pytest
from typer.testing import CliRunner

from oversight.cli import app
from oversight.config import get_settings

COMMANDS = [
    ["migrate"],
    ["config", "show"],
    ["users", "list"],
    ["demo-data"],
    ["audit", "verify"],
    ["keys", "status"],
    ["jobs", "list"],
    ["analytics", "summary"],
    ["ratelimit", "reset", "--ip", "192.0.2.1"],
]


@pytest.fixture
def bad_timezone(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", f"sqlite:///{tmp_path / 'never.db'}")
    monkeypatch.setenv("OVERSIGHT_COMPANY__TIMEZONE", "Mars/Base")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_bad_setting_is_one_line_and_exit_2(bad_timezone, command, tmp_path):
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.splitlines() == [
        "error: invalid setting OVERSIGHT_COMPANY__TIMEZONE: unknown time zone 'Mars/Base' "
        "(IANA name, e.g. Europe/Moscow) (got 'Mars/Base')"
    ]
    assert not (tmp_path / "never.db").exists()
