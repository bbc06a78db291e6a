"""The WhatsApp proxy: an HTTP webhook taking `{"to": phone, "subject", "text"}` as JSON, with
the configured token as a bearer token. Any 2xx is delivered."""

from __future__ import annotations

import httpx

from oversight.alerts.notifiers.base import DeliveryError, Message, Sent, http_failure
from oversight.config.alerts import WhatsAppChannel


class WhatsAppNotifier:
    def __init__(
        self, settings: WhatsAppChannel, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._transport = transport

    @property
    def configured(self) -> bool:
        return self._settings.url is not None

    def send(self, to: str, message: Message) -> Sent:
        if self._settings.url is None:
            raise DeliveryError("no WhatsApp proxy configured")
        headers = {}
        if self._settings.token is not None:
            headers["Authorization"] = f"Bearer {self._settings.token.get_secret_value()}"
        try:
            with httpx.Client(
                transport=self._transport, timeout=self._settings.timeout_seconds
            ) as client:
                response = client.post(
                    self._settings.url,
                    json={"to": to, "subject": message.subject, "text": message.text},
                    headers=headers,
                )
                response.raise_for_status()
        except httpx.HTTPError as error:
            raise http_failure(error) from None
        return Sent()
