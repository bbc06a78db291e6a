"""The Telegram bot: `OVERSIGHT_TELEGRAM__*`."""

from __future__ import annotations

import enum
from typing import Annotated, Self

from pydantic import Field, SecretStr, field_validator, model_validator

from oversight.config.base import _Group


class BotMode(enum.StrEnum):
    polling = "polling"  # `oversight bot` asks Telegram for updates (long polling)
    webhook = "webhook"  # Telegram posts updates to the API (`/api/v1/telegram/webhook`)


class BotLanguage(enum.StrEnum):
    en = "en"
    ru = "ru"


class TelegramSettings(_Group):
    """The bot's token, where the Bot API is, how updates arrive, languages, link codes and
    the per-Telegram-user command rate."""

    bot_token: SecretStr | None = None
    # python-telegram-bot's base_url / base_file_url are derived from it: tests point it at a
    # local Bot API server.
    api_base_url: str = "https://api.telegram.org"
    mode: BotMode = BotMode.polling
    # Telegram sends it back in X-Telegram-Bot-Api-Secret-Token on every webhook call.
    webhook_secret: SecretStr | None = None
    webhook_url: str | None = None  # https://desk.example.com/api/v1/telegram/webhook
    default_language: BotLanguage = BotLanguage.en
    link_code_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 15
    rate_limit: str = "20/minute;200/hour"
    # One polite refusal per unlinked Telegram account in this window, then silence.
    unlinked_reply_limit: str = "1/day"

    @field_validator("api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("not an HTTP(S) URL (expected https://api.telegram.org)")
        return value.rstrip("/")

    @field_validator("webhook_secret")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -.
        if value is None or not value.get_secret_value():
            return None
        secret = value.get_secret_value()
        if len(secret) > 256 or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
            raise ValueError("1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule)")
        return value

    @field_validator("rate_limit", "unlinked_reply_limit")
    @classmethod
    def _limits(cls, value: str) -> str:
        import limits

        if not value:
            return value  # no limit
        try:
            limits.parse_many(value)
        except ValueError:
            raise ValueError("not a rate limit (expected e.g. 20/minute;200/hour)") from None
        return value

    @model_validator(mode="after")
    def _webhook_needs_its_secret(self) -> Self:
        if self.mode is BotMode.webhook and (self.webhook_secret is None or not self.webhook_url):
            raise ValueError(
                "mode webhook needs OVERSIGHT_TELEGRAM__WEBHOOK_SECRET and "
                "OVERSIGHT_TELEGRAM__WEBHOOK_URL (the public URL of /api/v1/telegram/webhook)"
            )
        return self

    @property
    def base_url(self) -> str:
        return f"{self.api_base_url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.api_base_url}/file/bot"
