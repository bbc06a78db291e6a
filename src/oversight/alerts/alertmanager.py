"""Alertmanager's API v2, for silences: create one with matchers equal to an alert's labels,
and expire it (https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import httpx

from oversight.alerts.errors import SilenceFailed


class AlertmanagerClient:
    def __init__(
        self, base_url: str, transport: httpx.BaseTransport | None = None, timeout: float = 10.0
    ) -> None:
        self._base = base_url.rstrip("/")
        self._transport = transport
        self._timeout = timeout

    def create_silence(
        self,
        *,
        labels: Mapping[str, str],
        starts_at: datetime,
        ends_at: datetime,
        created_by: str,
        comment: str,
    ) -> str:
        """The new silence's id; SilenceFailed if Alertmanager cannot be reached or refuses."""
        body = {
            "matchers": [
                {"name": name, "value": value, "isRegex": False, "isEqual": True}
                for name, value in sorted(labels.items())
            ],
            "startsAt": _rfc3339(starts_at),
            "endsAt": _rfc3339(ends_at),
            "createdBy": created_by,
            "comment": comment,
        }
        answer = self._request("POST", "/api/v2/silences", body)
        silence_id = answer.json().get("silenceID") if answer.content else None
        if not isinstance(silence_id, str) or not silence_id:
            raise SilenceFailed("Alertmanager answered without a silence id")
        return silence_id

    def expire_silence(self, silence_id: str) -> None:
        self._request("DELETE", f"/api/v2/silence/{silence_id}", None)

    def _request(self, method: str, path: str, body: object) -> httpx.Response:
        try:
            with httpx.Client(transport=self._transport, timeout=self._timeout) as client:
                response = client.request(method, self._base + path, json=body)
        except httpx.HTTPError as error:
            raise SilenceFailed(
                f"Alertmanager could not be reached ({type(error).__name__})"
            ) from None
        if response.status_code >= 300:
            raise SilenceFailed(
                f"Alertmanager refused the silence: HTTP {response.status_code} "
                f"{response.text[:200]}"
            )
        return response


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
