"""Field encryption keys in the settings: sources, one-line errors, production refusal."""

from __future__ import annotations

import base64
import os

import pytest

from oversight.config import SettingsError, load_settings, masked_settings
from oversight.config.local import LOCAL_KEY_ID
from oversight.security.fieldcrypt import associated_data, generate_key


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def production(monkeypatch):
    monkeypatch.setenv("OVERSIGHT_ENV", "production")
    monkeypatch.setenv("OVERSIGHT_ALLOW_SQLITE_IN_PRODUCTION", "true")
    monkeypatch.setenv("OVERSIGHT_AUTH__JWT_SECRET", "x" * 48)
    monkeypatch.setenv("OVERSIGHT_OBSERVABILITY__METRICS_ALLOW", '["127.0.0.1/32"]')


def test_development_runs_on_a_key_generated_into_the_state_directory(tmp_path):
    keyring = load_settings().encryption.keyring
    assert keyring.key_ids == (LOCAL_KEY_ID,)
    stored = (tmp_path / "var" / "secrets" / "field-encryption.key").read_text().strip()
    assert keyring.key_bytes(LOCAL_KEY_ID) == base64.b64decode(stored)
    assert load_settings().encryption.keyring.key_bytes(LOCAL_KEY_ID) == base64.b64decode(stored)


def test_keys_from_the_environment_with_the_active_one_named(monkeypatch):
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__KEYS", f"old:{generate_key()},new:{generate_key()}")
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__ACTIVE_KEY_ID", "new")
    keyring = load_settings().encryption.keyring
    assert keyring.key_ids == ("old", "new")
    assert keyring.active_key_id == "new"


def test_keys_from_a_key_file(monkeypatch, tmp_path):
    (tmp_path / "keys").write_text(f"k7:{generate_key()}\n")
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__KEY_FILE", str(tmp_path / "keys"))
    keyring = load_settings().encryption.keyring
    aad = associated_data("t", "c", "r")
    assert keyring.active_key_id == "k7"
    assert keyring.decrypt_text(keyring.encrypt("x", aad=aad), aad=aad) == "x"


@pytest.mark.parametrize(
    ("variables", "named"),
    [
        ({"OVERSIGHT_ENCRYPTION__KEYS": "k1:not-base64!"}, "OVERSIGHT_ENCRYPTION__KEYS"),
        ({"OVERSIGHT_ENCRYPTION__KEYS": "justakey"}, "OVERSIGHT_ENCRYPTION__KEYS"),
        ({"OVERSIGHT_ENCRYPTION__KEY_FILE": "/nonexistent/keys"}, "OVERSIGHT_ENCRYPTION__KEY_FILE"),
        (
            {"OVERSIGHT_ENCRYPTION__KEYS": "k1:{key}", "OVERSIGHT_ENCRYPTION__ACTIVE_KEY_ID": "k2"},
            "OVERSIGHT_ENCRYPTION__ACTIVE_KEY_ID",
        ),
        (
            {"OVERSIGHT_ENCRYPTION__KEYS": "k1:{key},k2:{key}"},
            "OVERSIGHT_ENCRYPTION",
        ),
        (
            {"OVERSIGHT_ENCRYPTION__KEYS": "k1:{key}", "OVERSIGHT_ENCRYPTION__KEY_FILE": "/x"},
            "OVERSIGHT_ENCRYPTION__KEY_FILE",
        ),
    ],
)
def test_malformed_key_settings_are_one_line_naming_the_variable(monkeypatch, variables, named):
    key = generate_key()
    for name, value in variables.items():
        monkeypatch.setenv(name, value.format(key=key))
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert message.startswith(f"invalid setting {named}")
    assert key not in message


def test_a_short_key_is_reported_without_echoing_it(monkeypatch):
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__KEYS", "k1:c2VjcmV0LWJ1dC1zaG9ydA==")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "AES-256 needs 32" in str(caught.value)
    assert "c2VjcmV0" not in str(caught.value)


def test_production_refuses_to_start_without_a_key(monkeypatch):
    production(monkeypatch)
    with pytest.raises(SettingsError, match="OVERSIGHT_ENCRYPTION__KEYS"):
        load_settings()


def test_production_never_generates_a_key(monkeypatch, tmp_path):
    production(monkeypatch)
    with pytest.raises(SettingsError, match="production needs its own field encryption key"):
        load_settings()
    assert not (tmp_path / "var").exists()


def test_production_runs_with_its_own_key(monkeypatch):
    production(monkeypatch)
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__KEYS", f"prod1:{generate_key()}")
    assert load_settings().encryption.keyring.active_key_id == "prod1"


def test_masked_settings_hide_the_keys(monkeypatch):
    key = generate_key()
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__KEYS", f"k1:{key}")
    shown = masked_settings(load_settings())
    assert shown["encryption"]["keys"] == "********"
    assert key not in repr(shown)
