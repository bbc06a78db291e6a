"""No usable secret in the source (issue 12, finding 6): a development run with nothing
configured generates its own JWT signing key and field encryption key into the local state
directory, says where, and reuses them on later runs; production generates nothing."""

from __future__ import annotations

import base64
import os
import stat

import pytest

from oversight.config import SettingsError, load_settings
from oversight.config.local import take_announcements


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in list(os.environ):
        if name.startswith("OVERSIGHT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_a_development_run_generates_its_keys_into_the_state_directory_and_says_where(
    tmp_path,
):
    take_announcements()  # whatever an earlier test in this process left
    settings = load_settings()
    secrets_dir = tmp_path / "var" / "secrets"
    announced = "\n".join(take_announcements())
    for name in ("jwt-signing.key", "field-encryption.key"):
        path = secrets_dir / name
        assert str(path.relative_to(tmp_path)) in announced
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(base64.b64decode(path.read_text())) == 32
    assert settings.auth.signing_keys == {
        "local": (secrets_dir / "jwt-signing.key").read_text().strip()
    }
    again = load_settings()
    assert take_announcements() == []  # found, not generated again
    assert again.auth.signing_keys == settings.auth.signing_keys


def test_two_checkouts_never_share_a_key(tmp_path, monkeypatch):
    first = load_settings()
    monkeypatch.setenv("OVERSIGHT_STATE_DIR", str(tmp_path / "other"))
    second = load_settings()
    assert first.auth.signing_keys != second.auth.signing_keys
    assert first.encryption.keyring.key_bytes("local") != second.encryption.keyring.key_bytes(
        "local"
    )


def test_production_generates_nothing_and_refuses_to_start(tmp_path, monkeypatch):
    monkeypatch.setenv("OVERSIGHT_ENV", "production")
    with pytest.raises(SettingsError, match="OVERSIGHT_AUTH__JWT_SECRET"):
        load_settings()
    assert not (tmp_path / "var").exists()
