from __future__ import annotations

from datetime import timedelta

import pytest

from oversight.config import Settings, SettingsError, load_settings, masked_settings
from oversight.security.fieldcrypt import generate_key
from oversight.vocabulary import Priority, Role


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_run_on_an_embedded_sqlite_file():
    settings = load_settings()
    assert settings.database.url == "sqlite:///var/oversight.db"


def test_nested_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("OVERSIGHT_COMPANY__TIMEZONE", "Asia/Yekaterinburg")
    monkeypatch.setenv("OVERSIGHT_SLA__HIGH__RESPONSE_HOURS", "3")
    settings = load_settings()
    assert settings.company.timezone == "Asia/Yekaterinburg"
    assert settings.sla.for_priority(Priority.high).response == timedelta(hours=3)
    assert settings.sla.for_priority(Priority.high).resolution == timedelta(hours=9)


def test_dotenv_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("OVERSIGHT_API__PORT=8123\n")
    assert load_settings().api.port == 8123


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("OVERSIGHT_DATABASE__URL", "not a url", "OVERSIGHT_DATABASE__URL"),
        ("OVERSIGHT_DATABASE__URL", "mysql://u@h/db", "OVERSIGHT_DATABASE__URL"),
        (
            "OVERSIGHT_AUTH__SENSITIVE_ROLES",
            '["admin","overlord"]',
            "OVERSIGHT_AUTH__SENSITIVE_ROLES",
        ),
        ("OVERSIGHT_SLA__LOW__RESOLUTION_HOURS", "-4", "OVERSIGHT_SLA__LOW__RESOLUTION_HOURS"),
        ("OVERSIGHT_COMPANY__TIMEZONE", "Mars/Olympus", "OVERSIGHT_COMPANY__TIMEZONE"),
        ("OVERSIGHT_COMPANY__WORK_END", "08:00", "OVERSIGHT_COMPANY"),
        ("OVERSIGHT_AUTH__JWT_SECRET", "short", "OVERSIGHT_AUTH__JWT_SECRET"),
    ],
)
def test_bad_setting_is_one_line_naming_it(monkeypatch, variable, value, named):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert message.startswith(f"invalid setting {named}")


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.setenv("OVERSIGHT_ENV", "production")
    with pytest.raises(SettingsError, match="OVERSIGHT_AUTH__JWT_SECRET"):
        load_settings()


def test_production_runs_with_its_own_secret(monkeypatch):
    monkeypatch.setenv("OVERSIGHT_ENV", "production")
    monkeypatch.setenv("OVERSIGHT_ALLOW_SQLITE_IN_PRODUCTION", "true")
    monkeypatch.setenv("OVERSIGHT_AUTH__JWT_SECRET", "x" * 48)
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__KEYS", f"prod:{generate_key()}")
    monkeypatch.setenv("OVERSIGHT_OBSERVABILITY__METRICS_ALLOW", '["127.0.0.1/32"]')
    assert load_settings().env == "production"


def test_masked_settings_hide_the_secret_and_the_database_password():
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database={"url": "postgresql://oversight:hunter2-db@db.example/oversight"},
        auth={"jwt_secret": "s" * 40, "sensitive_roles": [Role.admin]},
    )
    shown = str(masked_settings(settings))
    assert "hunter2-db" not in shown
    assert "s" * 40 not in shown
    assert "********" in shown


def test_production_refuses_sqlite_unless_allowed_on_purpose(monkeypatch):
    monkeypatch.setenv("OVERSIGHT_ENV", "production")
    monkeypatch.setenv("OVERSIGHT_OBSERVABILITY__METRICS_ALLOW", "127.0.0.1/32")
    monkeypatch.setenv("OVERSIGHT_AUTH__JWT_SECRET", "x" * 48)
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__KEYS", f"prod:{generate_key()}")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert str(refused.value).splitlines() == [
        "invalid setting OVERSIGHT_DATABASE__URL: SQLite is refused in production (one file, "
        "one writer at a time); use PostgreSQL, or set OVERSIGHT_ALLOW_SQLITE_IN_PRODUCTION=true "
        "on purpose"
    ]
    monkeypatch.setenv("OVERSIGHT_ALLOW_SQLITE_IN_PRODUCTION", "true")
    assert load_settings().database.url.startswith("sqlite")
    monkeypatch.setenv("OVERSIGHT_ALLOW_SQLITE_IN_PRODUCTION", "false")
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", "postgresql+psycopg://o@db.example/o")
    assert load_settings().env == "production"
