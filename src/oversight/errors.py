"""The error family every layer raises, and the handlers that render it as one JSON shape.

Every error response is `{"error": {"code", "message", "details"}}`; a 500 says only that
something went wrong and which request id to quote, never a trace, SQL or a secret.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from oversight.kit.context import current_context

DATABASE_RETRY_AFTER_SECONDS = 5
logger = logging.getLogger("oversight.errors")


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


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def _validation_details(error: RequestValidationError) -> list[dict[str, Any]]:
    details = []
    for problem in error.errors():
        details.append(
            {
                "field": ".".join(str(part) for part in problem["loc"]),
                "message": problem["msg"],
                "type": problem["type"],
            }
        )
    return details


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status_code == 401 else None
    if isinstance(exc, TooManyRequests):
        headers = exc.headers
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details), exc.status_code, headers=headers
    )


def _malformed_body(error: RequestValidationError) -> JSONResponse | None:
    """400 `malformed_body` when the body is not JSON at all (422 stays for well-formed bodies
    that fail validation): where the parser stopped and why, never the body itself."""
    for problem in error.errors():
        if problem.get("type") == "json_invalid":
            where = problem["loc"][-1] if problem.get("loc") else None
            reason = (problem.get("ctx") or {}).get("error") or problem["msg"]
            at = f" at offset {where}" if isinstance(where, int) else ""
            return JSONResponse(
                error_body(
                    "malformed_body",
                    f"malformed JSON body{at}: {reason}",
                    {"position": where if isinstance(where, int) else None},
                ),
                400,
            )
    return None


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    malformed = _malformed_body(exc)
    if malformed is not None:
        return malformed
    details = _validation_details(exc)
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return JSONResponse(error_body("invalid_input", f"invalid input: {summary}", details), 422)


_HTTP_CODES = {
    400: "malformed_body",  # FastAPI's only 400: a body it cannot parse (not UTF-8, too deep)
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "too_many_requests",
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    return JSONResponse(
        error_body(code, message), exc.status_code, headers=getattr(exc, "headers", None)
    )


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # A uniqueness or reference check lost a race with another writer; the database's own
    # message names tables and values, so it stays in the log.
    logger.warning("integrity error on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        error_body("conflict", "the change conflicts with existing data; reload and retry"), 409
    )


def database_unavailable(exc: OperationalError) -> bool:
    """The database could not be reached or is busy, as opposed to a bad statement: the
    connection failed or was lost (PostgreSQL), or the file is locked or cannot be opened
    (SQLite)."""
    if exc.connection_invalidated or isinstance(exc.orig, psycopg.OperationalError):
        return True
    reason = str(exc.orig).lower()
    return "database is locked" in reason or "unable to open database" in reason


async def _operational_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OperationalError)
    if not database_unavailable(exc):
        return await _unhandled(request, exc)
    # The driver's message names the host and port; it stays in the log, at warning level
    # (the DatabaseDown alert and /ready report the outage; one line per refused request).
    logger.warning(
        "database unavailable on %s %s: %s",
        request.method,
        request.url.path,
        str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__,
    )
    return JSONResponse(
        error_body("database_unavailable", "the database is unavailable; retry shortly"),
        503,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    # Normally the observability middleware reports and renders a crash before it gets here;
    # this is the fallback for an app without it. The log line passes through redaction.
    from oversight.observability import sentry

    request_id = current_context().request_id
    logger.error(
        "unhandled error on %s %s",
        request.method,
        request.url.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    sentry.capture_exception(exc)
    return JSONResponse(
        error_body("internal_error", "internal server error", {"request_id": request_id}), 500
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(OperationalError, _operational_error)
    app.add_exception_handler(Exception, _unhandled)
