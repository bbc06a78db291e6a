"""The `oversight` command against a real, freshly migrated database on each backend."""

from __future__ import annotations

import json
import uuid

import pytest
from typer.testing import CliRunner

from oversight.cli import app
from oversight.config import get_settings

runner = CliRunner()


@pytest.fixture
def cli_env(monkeypatch, backend, database_url_factory, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", database_url_factory(backend))
    monkeypatch.setenv("NEW_PASSWORD", "a perfectly long password")
    get_settings.cache_clear()
    result = runner.invoke(app, ["migrate"])
    assert result.exit_code == 0, result.output
    yield
    get_settings.cache_clear()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_users_create_then_list_as_json(cli_env):
    created = invoke(
        "users",
        "create",
        "m.ivanova",
        "--role",
        "accountant",
        "--name",
        "Maria Ivanova",
        "--password-env",
        "NEW_PASSWORD",
    )
    assert created.exit_code == 0, created.output
    listed = invoke("users", "list", "--json")
    records = json.loads(listed.stdout)
    assert [(r["username"], r["role"]) for r in records] == [("m.ivanova", "accountant")]


def test_set_role_and_disable(cli_env):
    invoke(
        "users",
        "create",
        "p.smirnov",
        "--role",
        "engineer",
        "--name",
        "P. Smirnov",
        "--password-env",
        "NEW_PASSWORD",
    )
    assert invoke("users", "set-role", "p.smirnov", "project_manager").exit_code == 0
    assert invoke("users", "disable", "p.smirnov").exit_code == 0
    record = json.loads(invoke("users", "list", "--json").stdout)[0]
    assert record["role"] == "project_manager"
    assert record["active"] is False


def test_client_role_without_customer_is_refused_with_a_message(cli_env):
    result = invoke(
        "users",
        "create",
        "c.nobody",
        "--role",
        "client",
        "--name",
        "C",
        "--password-env",
        "NEW_PASSWORD",
    )
    assert result.exit_code == 2
    assert "customer" in result.output
    assert json.loads(invoke("users", "list", "--json").stdout) == []


def test_weak_password_is_refused_naming_the_rule(cli_env, monkeypatch):
    monkeypatch.setenv("WEAK", "qwerty123456")
    result = invoke(
        "users", "create", "w.eak", "--role", "viewer", "--name", "W", "--password-env", "WEAK"
    )
    assert result.exit_code == 2
    assert "too common" in result.output


def test_reset_2fa_and_end_sessions(cli_env):
    from sqlalchemy import create_engine, text

    invoke(
        "users", "create", "d.petrova", "--role", "director", "--name", "D",
        "--password-env", "NEW_PASSWORD",
    )  # fmt: skip
    engine = create_engine(get_settings().database.url)
    with engine.begin() as connection:
        user_id = connection.execute(text("SELECT id FROM users")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO user_totp (user_id, secret_ct, row_uid, created_at)"
                " VALUES (:u, :s, :r, :t)"
            ),
            {"u": user_id, "s": b"sealed", "r": uuid.uuid4().hex, "t": "2026-11-22 10:00:00"},
        )
    reset = invoke("users", "reset-2fa", "d.petrova")
    assert reset.exit_code == 0, reset.output
    ended = invoke("users", "end-sessions", "d.petrova")
    assert ended.exit_code == 0, ended.output
    assert "0 session(s) ended" in ended.output
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM user_totp")).scalar_one() == 0
        actions = connection.execute(text("SELECT action FROM audit_events")).scalars().all()
    engine.dispose()
    assert {"auth.totp_reset", "auth.sessions_ended"} <= set(actions)


def test_unknown_user_is_named(cli_env):
    result = invoke("users", "disable", "ghost")
    assert result.exit_code == 1
    assert "ghost" in result.output


def test_unknown_role_is_refused_by_the_parser(cli_env):
    result = invoke(
        "users",
        "create",
        "x.y",
        "--role",
        "overlord",
        "--name",
        "X",
        "--password-env",
        "NEW_PASSWORD",
    )
    assert result.exit_code == 2
    assert "overlord" in result.output


def test_config_show_masks_secrets(cli_env, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_AUTH__JWT_SECRET", "z" * 40)
    get_settings.cache_clear()
    result = invoke("config", "show")
    assert result.exit_code == 0
    shown = json.loads(result.stdout)
    assert shown["auth"]["jwt_secret"] == "********"
    assert "z" * 40 not in result.stdout


def test_bad_setting_stops_the_command_with_one_line(cli_env, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_COMPANY__TIMEZONE", "Nowhere/City")
    get_settings.cache_clear()
    result = invoke("migrate")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "OVERSIGHT_COMPANY__TIMEZONE" in result.output


def test_cli_changes_are_audited_with_the_command_as_origin(cli_env):
    from sqlalchemy import create_engine, select

    from oversight.audit.models import AuditEvent

    invoke(
        "users",
        "create",
        "a.auditor",
        "--role",
        "viewer",
        "--name",
        "A. Auditor",
        "--password-env",
        "NEW_PASSWORD",
    )
    invoke("users", "set-role", "a.auditor", "director")
    engine = create_engine(get_settings().database.url)
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEvent.action, AuditEvent.actor_type, AuditEvent.actor_name)
            .where(AuditEvent.entity_type == "user")
            .order_by(AuditEvent.id)
        ).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("user.create", "cli", "users"),
        ("user.role_changed", "cli", "users"),
    ]


def test_the_last_admin_is_kept_by_the_cli(cli_env):
    for name in ("root", "deputy"):
        created = invoke(
            "users",
            "create",
            name,
            "--role",
            "admin",
            "--name",
            "Admin",
            "--password-env",
            "NEW_PASSWORD",
        )
        assert created.exit_code == 0, created.output
    assert invoke("users", "disable", "deputy").exit_code == 0
    for args in (("set-role", "root", "viewer"), ("disable", "root")):
        refused = invoke("users", *args)
        assert refused.exit_code == 2
        assert refused.output.count("\n") == 1
        assert "root is the last active administrator" in refused.output
    records = {r["username"]: r for r in json.loads(invoke("users", "list", "--json").stdout)}
    assert (records["root"]["role"], records["root"]["active"]) == ("admin", True)


def test_set_password_gives_a_temporary_password(cli_env, monkeypatch):
    created = invoke(
        "users", "create", "k.orlov", "--role", "viewer", "--name", "K. Orlov",
        "--password-env", "NEW_PASSWORD",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    monkeypatch.setenv("TEMPORARY", "another long temporary password")
    done = invoke("users", "set-password", "k.orlov", "--password-env", "TEMPORARY")
    assert done.exit_code == 0, done.output
    assert "must change" in done.output or "temporary password" in done.output
    monkeypatch.setenv("TEMPORARY", "short")
    weak = invoke("users", "set-password", "k.orlov", "--password-env", "TEMPORARY")
    assert weak.exit_code == 2
    assert weak.output.count("\n") == 1
    ghost = invoke("users", "set-password", "nobody", "--password-env", "TEMPORARY")
    assert ghost.exit_code != 0


def test_a_password_prompt_without_a_terminal_is_one_line_naming_the_option(cli_env):
    # CliRunner's stdin is not a terminal, as under cron, a pipe or `ssh host oversight ...`.
    created = invoke("users", "create", "p.nobody", "--role", "engineer", "--name", "P N")
    assert created.exit_code == 2
    assert created.output.strip().splitlines() == [
        "error: no terminal to type the password at: pass --password-env NAME"
    ]
    assert "p.nobody" not in invoke("users", "list", "--json").stdout
