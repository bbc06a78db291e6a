"""Webhook mode: the API process holds the bot and Telegram posts each update to
`POST /api/v1/telegram/webhook` with the secret token in `X-Telegram-Bot-Api-Secret-Token`.

`install_webhook_bot(app, settings)` builds the bot when `OVERSIGHT_TELEGRAM__MODE=webhook`;
the app's lifespan calls `start`/`stop` (python-telegram-bot's initialize and shutdown).
python-telegram-bot is imported only then: an API without the bot does not load it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from oversight.config import BotMode, Settings
from oversight.db.session import unit_of_work

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
_STATE = "telegram_webhook_bot"


class WebhookBot:
    """The bot application, fed one update at a time by the webhook route."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def start(self) -> None:
        await self.application.initialize()

    async def stop(self) -> None:
        await self.application.shutdown()

    async def receive(self, payload: dict[str, Any]) -> None:
        from telegram import Update

        update = Update.de_json(payload, self.application.bot)
        await self.application.process_update(update)


def install_webhook_bot(app: FastAPI, settings: Settings) -> WebhookBot | None:
    """Build the bot on `app` in webhook mode (None, and nothing installed, otherwise)."""
    if settings.telegram.mode is not BotMode.webhook or settings.telegram.bot_token is None:
        setattr(app.state, _STATE, None)
        return None
    from oversight.telegram.bot import build_application, make_deps

    factory = app.state.session_factory
    deps = make_deps(settings, lambda: unit_of_work(factory))
    bot = WebhookBot(build_application(deps))
    setattr(app.state, _STATE, bot)
    return bot


def webhook_bot(app: FastAPI) -> WebhookBot | None:
    bot = getattr(app.state, _STATE, None)
    return bot if isinstance(bot, WebhookBot) else None
