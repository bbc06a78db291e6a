"""The error family every layer raises, and the handlers that render it as one JSON shape.

Every error response is `{"error": {"code", "message", "details"}}`; a 500 says only that
something went wrong and which request id to quote, never a trace, SQL or a secret.
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from oversight.kit.context import current_context

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
}
"""The error responses every API route may give, declared once in the OpenAPI document."""


def errors_documented_as_sent(document: dict[str, Any]) -> dict[str, Any]:
    """`document` (an OpenAPI document) with every error response's body declared as JSON.

    FastAPI files the shared error responses under the route's own media type, so a text,
    PNG or CSV route claimed to send `text/plain` errors; the handler here always sends JSON.
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


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    details = _validation_details(exc)
    if any(d["field"].startswith("path.") for d in details):
        # `PATCH /requests/assign` reached `PATCH /requests/{request_id}` with "assign" as
        # the id; the path belongs to the route that names it, which does not serve PATCH.
        allowed = allowed_methods(request, literal_only=True)
        if allowed and request.method not in allowed:
            return JSONResponse(
                error_body("method_not_allowed", "Method Not Allowed"),
                405,
                headers={"Allow": ", ".join(allowed)},
            )
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return JSONResponse(error_body("invalid_input", f"invalid input: {summary}", details), 422)


_HTTP_CODES = {
    400: "bad_request",
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
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
    return JSONResponse(error_body(code, message), exc.status_code, headers=headers or None)


def _method_table(request: Request) -> list[tuple[re.Pattern[str], frozenset[str], bool]]:
    """(path regex, methods, whether the path has no parameters) for every route, built once."""
    table: list[tuple[re.Pattern[str], frozenset[str], bool]] | None = getattr(
        request.app.state, "method_table", None
    )
    if table is None:
        table = [
            (
                compile_path(context.path)[0],
                frozenset(context.methods or ()),
                "{" not in context.path,
            )
            for context in iter_route_contexts(request.app.routes)
            if context.path is not None
        ]
        request.app.state.method_table = table
    return table


def allowed_methods(request: Request, *, literal_only: bool = False) -> list[str]:
    """Every method the app serves at the request's path (RFC 9110, 15.5.6); Starlette's 405
    named only the first route whose path matched. A path that a route names literally
    (`/requests/assign`) is that route's, not a parametrised one's (`/requests/{request_id}`)."""
    path = request.scope.get("path", "")
    matching = [(served, literal) for regex, served, literal in _method_table(request)
                if regex.match(path)]  # fmt: skip
    if any(literal for _, literal in matching):
        matching = [(served, literal) for served, literal in matching if literal]
    elif literal_only:
        return []
    return sorted({method for served, _ in matching for method in served})


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # A uniqueness or reference check lost a race with another writer; the database's own
    # message names tables and values, so it stays in the log.
    logger.warning("integrity error on %s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        error_body("conflict", "the change conflicts with existing data; reload and retry"), 409
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
    app.add_exception_handler(Exception, _unhandled)
