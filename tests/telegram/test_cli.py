"""`oversight users link-code` and `oversight bot`, against a fresh database on each backend."""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fake_telegram import fake_bot_api
from oversight.cli import app
from oversight.config import get_settings

runner = CliRunner()
SRC = Path(__file__).parents[2] / "src"


@pytest.fixture
def cli_env(monkeypatch, backend, database_url_factory, tmp_path):
    for name in list(os.environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    url = database_url_factory(backend)
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", url)
    monkeypatch.setenv("NEW_PASSWORD", "a perfectly long password")
    get_settings.cache_clear()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    created = runner.invoke(
        app, ["users", "create", "d.boss", "--role", "director", "--name", "Dora Boss",
              "--password-env", "NEW_PASSWORD"],
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    yield url
    get_settings.cache_clear()


def test_link_code_prints_a_code_and_refuses_an_unknown_user(cli_env):
    made = runner.invoke(app, ["users", "link-code", "D.Boss"])
    assert made.exit_code == 0, made.output
    assert re.match(r"^[A-Z2-9]{4}-[A-Z2-9]{4}  \(send `/link ", made.output)
    unknown = runner.invoke(app, ["users", "link-code", "nobody"])
    assert unknown.exit_code == 1
    assert unknown.output.strip() == "error: no user named 'nobody'"


def test_bot_needs_a_token_and_polling_mode(cli_env, monkeypatch):
    result = runner.invoke(app, ["bot"])
    assert result.exit_code == 2
    assert "OVERSIGHT_TELEGRAM__BOT_TOKEN" in result.output
    monkeypatch.setenv("OVERSIGHT_TELEGRAM__MODE", "webhook")
    get_settings.cache_clear()
    result = runner.invoke(app, ["bot"])
    assert result.exit_code == 2
    assert "OVERSIGHT_TELEGRAM__WEBHOOK_SECRET" in result.output


@pytest.mark.slow
def test_oversight_bot_links_and_answers_through_the_bot_api(cli_env):
    code = runner.invoke(app, ["users", "link-code", "d.boss"]).output.split()[0]
    token = f"{secrets.randbelow(10**9)}:{secrets.token_urlsafe(24)}"
    with fake_bot_api(token) as api:
        env = {
            **os.environ,
            "PYTHONPATH": str(SRC),
            "OVERSIGHT_TELEGRAM__BOT_TOKEN": token,
            "OVERSIGHT_TELEGRAM__API_BASE_URL": api.url,
        }
        process = subprocess.Popen(
            [sys.executable, "-c", "from oversight.cli import main; main()", "bot"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            api.message(4242, f"/link {code}")
            api.message(4242, "/overdue")
            first, second = api.wait_answers(2, timeout=60)
        finally:
            process.send_signal(signal.SIGINT)
            output = process.communicate(timeout=30)[0].decode()
    assert first.text == "Linked: you are d.boss here. /help lists what you can do.", output
    assert second.text == "Overdue invoices: none"
    assert process.returncode == 0, output
    assert token not in output
    menus = {menu.get("language_code"): json.loads(menu["commands"]) for menu in api.menus}
    assert set(menus) == {None, "ru"}
    assert {"command": "overdue", "description": "overdue invoices by client"} in menus[None]
    assert {"command": "overdue", "description": "просроченные счета по клиентам"} in menus["ru"]
