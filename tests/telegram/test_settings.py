"""`OVERSIGHT_TELEGRAM__*`: validated at start-up, secrets masked."""

from __future__ import annotations

import re
import secrets

import pytest

from engines import EMBEDDED_ONLY
from oversight.config import SettingsError, load_settings, masked_settings

pytestmark = EMBEDDED_ONLY


def _load(**telegram: object):
    return load_settings(_env_file=None, telegram=telegram)


def test_webhook_mode_needs_its_secret_and_url():
    with pytest.raises(SettingsError, match="OVERSIGHT_TELEGRAM: mode webhook needs"):
        _load(mode="webhook")
    secret = secrets.token_urlsafe(16)
    loaded = _load(mode="webhook", webhook_secret=secret, webhook_url="https://d.example/x")
    assert loaded.telegram.webhook_secret.get_secret_value() == secret


@pytest.mark.parametrize(
    ("field", "value", "problem"),
    [
        ("api_base_url", "ftp://api.telegram.org", "not an HTTP(S) URL"),
        ("webhook_secret", "has spaces in it", "Telegram's rule"),
        ("rate_limit", "lots", "not a rate limit"),
        ("default_language", "de", "OVERSIGHT_TELEGRAM__DEFAULT_LANGUAGE"),
        ("link_code_minutes", 0, "OVERSIGHT_TELEGRAM__LINK_CODE_MINUTES"),
    ],
)
def test_bad_settings_are_named(field, value, problem):
    with pytest.raises(SettingsError, match=re.escape(problem)) as error:
        _load(**{field: value})
    assert f"OVERSIGHT_TELEGRAM__{field.upper()}" in str(error.value)
    if field == "webhook_secret":
        assert value not in str(error.value)


def test_the_bot_token_and_webhook_secret_are_masked():
    token, secret = f"1:{secrets.token_urlsafe(20)}", secrets.token_urlsafe(20)
    shown = masked_settings(_load(bot_token=token, webhook_secret=secret))
    assert shown["telegram"]["bot_token"] == "********"
    assert shown["telegram"]["webhook_secret"] == "********"
    assert token not in str(shown)


def test_the_bot_api_urls_follow_the_base_url():
    loaded = _load(api_base_url="http://127.0.0.1:8081/")
    assert loaded.telegram.base_url == "http://127.0.0.1:8081/bot"
    assert loaded.telegram.base_file_url == "http://127.0.0.1:8081/file/bot"


def _hub(telegram: dict[str, object], alerts_telegram: dict[str, object]):
    return load_settings(_env_file=None, telegram=telegram, alerts={"telegram": alerts_telegram})


def test_the_alert_hub_borrows_the_bots_token_and_url_when_it_has_none():
    token = f"1:{secrets.token_urlsafe(20)}"
    channel = _hub({"bot_token": token, "api_base_url": "http://127.0.0.1:8081"}, {}).alert_telegram
    assert channel.bot_token is not None
    assert channel.bot_token.get_secret_value() == token
    assert str(channel.api_base_url).rstrip("/") == "http://127.0.0.1:8081"


def test_the_alert_hubs_own_token_and_url_win():
    bot, hub = f"1:{secrets.token_urlsafe(20)}", f"2:{secrets.token_urlsafe(20)}"
    loaded = _hub(
        {"bot_token": bot, "api_base_url": "http://127.0.0.1:8081"},
        {"bot_token": hub, "api_base_url": "http://127.0.0.1:9999"},
    )
    channel = loaded.alert_telegram
    assert channel.bot_token is not None
    assert channel.bot_token.get_secret_value() == hub
    assert str(channel.api_base_url).rstrip("/") == "http://127.0.0.1:9999"
    # an own token without an own URL still reaches the bot's Bot API server
    only_token = _hub({"api_base_url": "http://127.0.0.1:8081"}, {"bot_token": hub})
    assert str(only_token.alert_telegram.api_base_url).rstrip("/") == "http://127.0.0.1:8081"
    assert only_token.alert_telegram.bot_token.get_secret_value() == hub


def test_without_any_token_the_hub_has_no_telegram():
    channel = _hub({}, {}).alert_telegram
    assert channel.bot_token is None
    assert str(channel.api_base_url).rstrip("/") == "https://api.telegram.org"
