"""What every channel shares: the message, its buttons, what a send returns, the error."""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx


class DeliveryError(Exception):
    """A channel could not deliver; the message says why in a few words, without secrets."""


class RateLimited(DeliveryError):
    """The service answered 429 and asked for `retry_after` seconds before the next try."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    data: str  # Telegram callback_data (at most 64 bytes)


@dataclass(frozen=True, slots=True)
class Message:
    subject: str  # e-mail subject; the first line elsewhere
    text: str  # plain text, several lines
    buttons: tuple[tuple[Button, ...], ...] = field(default_factory=tuple)  # rows


@dataclass(frozen=True, slots=True)
class Sent:
    """Where a message landed: the Telegram chat and message ids (None for other channels)."""

    chat_id: int | None = None
    message_id: int | None = None


def http_failure(error: httpx.HTTPError) -> DeliveryError:
    """A DeliveryError naming the kind of HTTP failure, never the URL it went to."""
    if isinstance(error, httpx.HTTPStatusError):
        return DeliveryError(f"HTTP {error.response.status_code}")
    return DeliveryError(type(error).__name__)
