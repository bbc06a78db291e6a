"""The error family every layer raises, and the one JSON shape it is rendered as.

Every error response is `{"error": {"code", "message", "details"}}`. The exception handlers
that render it live in `oversight.observability.error_responses` (a 500 is logged and sent
to Sentry there); this module is the bottom of the foundation and imports nothing from
Oversight.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ConfigDict


class AppError(Exception):
    """An error with a status code and a stable machine-readable code."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"


class PermissionDenied(AppError):
    status_code = 403
    code = "permission_denied"


class NotFound(AppError):
    status_code = 404
    code = "not_found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"


class UnsupportedMediaType(AppError):
    status_code = 415
    code = "unsupported_media_type"


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"


class TooManyRequests(AppError):
    """429 with `Retry-After` (whole seconds, at least 1)."""

    status_code = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: float, details: Any = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = max(1, math.ceil(retry_after))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


@contextmanager
def referenced_by(field: str) -> Iterator[None]:
    """Inside the block, a NotFound is the caller's bad reference: 422 naming `field`.

    A record outside the caller's row scope is not found either, so it is reported exactly
    like one that does not exist.
    """
    try:
        yield
    except NotFound as error:
        what = error.message.removesuffix(" not found")
        raise InvalidInput(f"{what} does not exist", details={"field": field}) from None


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The one error shape: `{"error": {"code", "message", "details"}}`."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


def _documented(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _documented("Malformed request"),
    401: _documented("Missing, invalid or expired access token"),
    403: _documented("The caller's role may not do this"),
    404: _documented("No such record in the caller's scope"),
    409: _documented("The record's state does not allow this"),
    413: _documented("Request body too large"),
    415: _documented("Unsupported content type"),
    422: _documented("Invalid input; `details` names the fields"),
    429: _documented("Too many requests; see Retry-After"),
    503: _documented("The database or the rate limiter is unavailable; see Retry-After"),
}
"""The error responses every API route may give, declared once in the OpenAPI document."""


def errors_documented_as_sent(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (an OpenAPI document) with every error response's body declared as JSON.

    FastAPI files the shared error responses under the route's own media type, so a text,
    PNG or CSV route claimed to send `text/plain` errors; the handlers always send JSON.
    """
    for item in document.get("paths", {}).values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                content = response.get("content")
                if not str(status).startswith(("4", "5")) or not content:
                    continue
                schemas = [body.get("schema") for body in content.values()]
                if ErrorResponse.__name__ in json.dumps(schemas):
                    response["content"] = {"application/json": {"schema": schemas[0]}}
    return document


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}
