"""The exception handlers that render every error as the one JSON shape of `oversight.errors`.

A 500 says only that something went wrong and which request id to quote, never a trace, SQL
or a secret; the error itself goes to the log (through redaction) and to Sentry.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

from oversight.context import current_context
from oversight.db.session import database_unavailable
from oversight.errors import AppError, TooManyRequests, error_body
from oversight.observability import sentry

DATABASE_RETRY_AFTER_SECONDS = 5
logger = logging.getLogger("oversight.errors")


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
