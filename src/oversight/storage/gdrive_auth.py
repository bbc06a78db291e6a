"""Service-account tokens for Google Drive: google-auth signs the JWT, httpx carries it.

google-auth ships transports for `requests` and `urllib3` only; `HttpxRequest` is the small
adapter that lets it use the same httpx client (and so the same timeouts) as the backend. The
token is fetched from the key file's `token_uri`, which tests point at a local fake server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import google.auth.exceptions
import google.auth.transport
import httpx
from google.oauth2 import service_account

SCOPES = ("https://www.googleapis.com/auth/drive",)


class _Response(google.auth.transport.Response):
    def __init__(self, response: httpx.Response) -> None:
        self._response = response

    @property
    def status(self) -> int:
        return self._response.status_code

    @property
    def headers(self) -> Mapping[str, str]:
        return self._response.headers

    @property
    def data(self) -> bytes:
        return self._response.content


class HttpxRequest(google.auth.transport.Request):
    """google-auth's transport interface over an `httpx.Client`."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> _Response:
        try:
            response = self._client.request(
                method,
                url,
                content=body,
                headers=dict(headers or {}),
                timeout=timeout if timeout is not None else self._client.timeout,
            )
        except httpx.HTTPError as exc:
            error = google.auth.exceptions.TransportError(type(exc).__name__)  # type: ignore[no-untyped-call]
            raise error from exc
        return _Response(response)


def load_credentials(path: Path) -> service_account.Credentials:
    """The service account of the JSON key at `path`; `ValueError` naming what is wrong."""
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"cannot read credentials_file {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ValueError(f"credentials_file {path} is not JSON") from exc
    if not isinstance(info, dict) or info.get("type") != "service_account":
        raise ValueError(f"credentials_file {path} is not a service account key")
    try:
        make = service_account.Credentials.from_service_account_info
        credentials: service_account.Credentials = make(info, scopes=list(SCOPES))  # type: ignore[no-untyped-call]
    except (ValueError, KeyError) as exc:
        raise ValueError(f"credentials_file {path} is not a valid service account key") from exc
    return credentials
