"""Telegram over the Bot API (https://core.telegram.org/bots/api): sendMessage with an inline
keyboard, editMessageText to update a message in place."""

from __future__ import annotations

from typing import Any

import httpx

from oversight.alerts.notifiers.base import (
    DeliveryError,
    Message,
    RateLimited,
    Sent,
    http_failure,
)
from oversight.config.alerts import TelegramChannel


class TelegramNotifier:
    def __init__(
        self, settings: TelegramChannel, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._transport = transport

    @property
    def configured(self) -> bool:
        return self._settings.bot_token is not None

    def send(self, chat_id: int, message: Message) -> Sent:
        """Send `message` to `chat_id`; the chat and message ids Telegram gave it."""
        result = self._call("sendMessage", {"chat_id": chat_id, **_content(message)})
        try:
            return Sent(chat_id=int(result["chat"]["id"]), message_id=int(result["message_id"]))
        except (KeyError, TypeError, ValueError):
            raise DeliveryError("Bot API answered without a message id") from None

    def edit(self, chat_id: int, message_id: int, message: Message) -> Sent:
        """Replace the text (and keyboard) of a message sent earlier."""
        self._call(
            "editMessageText", {"chat_id": chat_id, "message_id": message_id, **_content(message)}
        )
        return Sent(chat_id=chat_id, message_id=message_id)

    def _call(self, method: str, body: dict[str, Any]) -> Any:
        if self._settings.bot_token is None:
            raise DeliveryError("no bot token configured")
        url = (
            f"{self._settings.api_base_url.rstrip('/')}/bot"
            f"{self._settings.bot_token.get_secret_value()}/{method}"
        )
        try:
            with httpx.Client(
                transport=self._transport, timeout=self._settings.timeout_seconds
            ) as client:
                response = client.post(url, json=body)
            answer = response.json()
        except httpx.HTTPError as error:
            raise http_failure(error) from None
        except ValueError:
            raise DeliveryError(f"HTTP {response.status_code}, not JSON") from None
        if not isinstance(answer, dict) or not answer.get("ok"):
            retry_after = _retry_after(answer) if response.status_code == 429 else None
            if retry_after is not None:
                raise RateLimited(f"HTTP 429: retry after {retry_after:g} s", retry_after)
            description = answer.get("description", "") if isinstance(answer, dict) else ""
            raise DeliveryError(f"HTTP {response.status_code}: {str(description)[:120]}")
        return answer.get("result")


def _retry_after(answer: object) -> float | None:
    """`parameters.retry_after` of a 429 answer (seconds), None when absent or not a number
    (https://core.telegram.org/bots/api#responseparameters)."""
    parameters = answer.get("parameters") if isinstance(answer, dict) else None
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


def _content(message: Message) -> dict[str, Any]:
    body: dict[str, Any] = {"text": message.text, "disable_web_page_preview": True}
    # An empty keyboard removes the buttons of an edited message.
    body["reply_markup"] = {
        "inline_keyboard": [
            [{"text": button.text, "callback_data": button.data} for button in row]
            for row in message.buttons
        ]
    }
    return body
