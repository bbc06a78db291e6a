"""The token primitive: key ids, rotation, pinned algorithm, opaque tokens."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from oversight.config import SettingsError, load_settings
from oversight.security.fieldcrypt import generate_key
from oversight.security.tokens import (
    TWO_FACTOR_PENDING,
    ExpiredToken,
    InvalidToken,
    TokenSigner,
    new_opaque_token,
    token_digest,
)

OLD, NEW = secrets.token_urlsafe(32), secrets.token_urlsafe(32)


def signer(keys: dict[str, str], active: str) -> TokenSigner:
    return TokenSigner(keys=keys, active_kid=active, issuer="oversight", audience="oversight-api")


def issue(s: TokenSigner, **kwargs: object) -> str:
    return s.issue(subject="7", lifetime=timedelta(minutes=5), now=datetime.now(UTC), **kwargs)  # type: ignore[arg-type]


def test_token_names_the_signing_key():
    token = issue(signer({"2026-11": NEW}, "2026-11"))
    assert jwt.get_unverified_header(token) == {"alg": "HS256", "kid": "2026-11", "typ": "JWT"}


def test_rotation_keeps_tokens_of_the_previous_key_valid():
    before = signer({"2026-05": OLD}, "2026-05")
    during = signer({"2026-05": OLD, "2026-11": NEW}, "2026-11")
    old_token = issue(before)
    assert during.verify(old_token)["sub"] == "7"
    assert jwt.get_unverified_header(issue(during))["kid"] == "2026-11"


def test_after_rotation_completes_the_old_key_no_longer_verifies():
    old_token = issue(signer({"2026-05": OLD}, "2026-05"))
    with pytest.raises(InvalidToken, match="unknown key id"):
        signer({"2026-11": NEW}, "2026-11").verify(old_token)


def test_same_secret_under_another_key_id_is_refused():
    token = issue(signer({"a": OLD}, "a"))
    with pytest.raises(InvalidToken):
        signer({"b": OLD}, "b").verify(token)


def test_types_are_distinct():
    s = signer({"a": OLD}, "a")
    pending = issue(s, token_type=TWO_FACTOR_PENDING)
    with pytest.raises(InvalidToken, match="wrong token type"):
        s.verify(pending)
    assert s.verify(pending, token_types=frozenset({TWO_FACTOR_PENDING}))["typ"] == "2fa_pending"


def test_expired_token_is_told_apart_from_a_forged_one():
    s = signer({"a": OLD}, "a")
    expired = s.issue(
        subject="7", lifetime=timedelta(minutes=1), now=datetime.now(UTC) - timedelta(hours=1)
    )
    with pytest.raises(ExpiredToken):
        s.verify(expired)


def test_opaque_tokens_are_random_and_stored_as_sha256():
    token = new_opaque_token()
    assert len(token) >= 43
    assert token != new_opaque_token()
    assert len(token_digest(token)) == 64
    assert token not in token_digest(token)


def test_settings_keyring_from_legacy_secret_and_named_keys():
    legacy = load_settings(_env_file=None, auth={"jwt_secret": OLD})
    assert legacy.auth.signing_keys == {"default": OLD}
    assert legacy.auth.active_key_id == "default"
    rotated = load_settings(
        _env_file=None,
        auth={"jwt_secret": OLD, "jwt_keys": {"2026-11": NEW}, "jwt_active_key": "2026-11"},
    )
    assert rotated.auth.signing_keys == {"default": OLD, "2026-11": NEW}
    assert rotated.auth.active_key_id == "2026-11"


def test_settings_read_the_keyring_from_the_environment(monkeypatch):
    monkeypatch.setenv("OVERSIGHT_AUTH__JWT_KEYS", f'{{"k1": "{OLD}", "k2": "{NEW}"}}')
    monkeypatch.setenv("OVERSIGHT_AUTH__JWT_ACTIVE_KEY", "k2")
    settings = load_settings(_env_file=None)
    assert settings.auth.signing_keys == {"k1": OLD, "k2": NEW}
    assert settings.auth.active_key_id == "k2"


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        ({"jwt_keys": {"k1": OLD, "k2": NEW}}, "name the one that signs"),
        ({"jwt_keys": {"k1": OLD}, "jwt_active_key": "k9"}, "not among the configured keys"),
        ({"jwt_keys": {"k1": "short"}}, "at least 32 characters"),
        ({"jwt_keys": {"bad id!": OLD}}, "key id"),
    ],
)
def test_inconsistent_keyrings_are_refused(auth, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(_env_file=None, auth=auth)


def test_production_refuses_to_run_on_the_development_key():
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        load_settings(_env_file=None, env="production")
    assert load_settings(
        _env_file=None,
        env="production",
        allow_sqlite_in_production=True,
        auth={"jwt_keys": {"k1": NEW}},
        encryption={"keys": f"f1:{generate_key()}"},
        observability={"metrics_enabled": False},
    )
