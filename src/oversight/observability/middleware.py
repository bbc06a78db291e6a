"""The one pure ASGI middleware: request id, context, timing, metrics, access log, crashes.

Pure ASGI (no `BaseHTTPMiddleware`, whose extra task and stream per request costs about
half the throughput of a trivial endpoint). The route label is the template of the route
that FastAPI matched — recorded in `scope["route"]` by the router — so it costs nothing per
route; a path no route matched is counted as `unmatched`. Label handles are cached, so the
hot path does two dict look-ups instead of `labels(...)` calls, and those handles are the
metric values' own `inc` (see `metrics.incrementer`), skipping prometheus_client's per-call
checks.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from prometheus_client.metrics import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from oversight.context import (
    RequestContext,
    RequestState,
    enter_context,
    enter_request_state,
    exit_context,
    exit_request_state,
)
from oversight.errors import error_body
from oversight.observability import metrics, sentry
from oversight.observability.logging import get_logger
from oversight.observability.metrics import UNMATCHED_ROUTE

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

access_log = get_logger("oversight.access")
crash_log = get_logger("oversight.errors")


def new_request_id() -> str:
    """A request id unique across processes: a per-process prefix and a counter."""
    return f"{_id_prefix}{next(_id_counter):x}"


def _new_id_prefix() -> str:
    return f"req-{time.time_ns() // 1_000_000:x}{os.getpid():x}{secrets.token_hex(2)}-"


def _reset_ids() -> None:
    global _id_prefix, _id_counter
    _id_prefix, _id_counter = _new_id_prefix(), itertools.count(1)


_id_prefix, _id_counter = _new_id_prefix(), itertools.count(1)
os.register_at_fork(after_in_child=_reset_ids)  # a forked worker must not repeat the parent's ids


def valid_request_id(value: str | None) -> str | None:
    """`value` if it is an acceptable request id (≤ 64 of `[A-Za-z0-9._-]`), else None."""
    if value and _VALID_REQUEST_ID.match(value):
        return value
    return None


def route_template(scope: Scope) -> str:
    """The matched route's full path template, or `unmatched`.

    Starlette's router stores the matched route in `scope["route"]`. FastAPI keeps included
    routers as nested routes, so that route's own `path` lacks the routers' prefixes; FastAPI
    records the full ("effective") template beside it, which is preferred when present.
    """
    effective = scope.get("fastapi", {}).get("effective_route_context")
    path = getattr(effective, "path", None)
    if isinstance(path, str) and path:
        return path
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str):
        return path
    endpoint = scope.get("endpoint")
    return UNMATCHED_ROUTE if endpoint is None else _plain_route_path(scope, endpoint)


_plain_route_paths: dict[Any, str] = {}


def _plain_route_path(scope: Scope, endpoint: Any) -> str:
    """The template of a plain Starlette route (FastAPI's /docs, /openapi.json).

    FastAPI's router records only the endpoint for those, not the route; the app's routes are
    scanned once per endpoint, so the cost does not grow with traffic.
    """
    path = _plain_route_paths.get(endpoint)
    if path is None:
        for route in getattr(scope.get("app"), "routes", ()):
            if getattr(route, "endpoint", None) is endpoint:
                path = _plain_route_paths[endpoint] = str(route.path)
                break
    return path or UNMATCHED_ROUTE


class ObservabilityMiddleware:
    """Wraps the app; give `metrics_enabled=False` / `access_log=False` to switch parts off."""

    def __init__(self, app: ASGIApp, *, metrics_enabled: bool = True, access_log: bool = True):
        self.app = app
        self.metrics_enabled = metrics_enabled
        self.access_log = access_log
        self._counters: dict[tuple[str, str, int], Callable[[float], None]] = {}
        self._histograms: dict[tuple[str, str], Callable[[float], None]] = {}
        self._in_progress = metrics.incrementer(metrics.HTTP_IN_PROGRESS)

    def _counter(self, method: str, route: str, status: int) -> Callable[[float], None]:
        key = (method, route, status)
        increment = self._counters.get(key)
        if increment is None:
            counter: Counter = metrics.HTTP_REQUESTS
            increment = metrics.incrementer(counter.labels(method, route, str(status)))
            self._counters[key] = increment
        return increment

    def _histogram(self, method: str, route: str) -> Callable[[float], None]:
        key = (method, route)
        observe = self._histograms.get(key)
        if observe is None:
            histogram: Histogram = metrics.HTTP_DURATION
            observe = self._histograms[key] = metrics.observer(histogram.labels(method, route))
        return observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = None
        user_agent = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                request_id = valid_request_id(value.decode("latin-1"))
            elif name == b"user-agent":
                user_agent = value.decode("latin-1")[:256]
        request_id = request_id or new_request_id()
        client = scope.get("client")
        context = RequestContext(
            request_id=request_id, client_ip=client[0] if client else None, user_agent=user_agent
        )
        state = RequestState()
        status = 500
        started = False
        header = (REQUEST_ID_HEADER, request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        if self.metrics_enabled:
            self._in_progress(1)
        # Contextvars set directly: two generator-based context managers cost more per request
        # than everything else this middleware does.
        context_token = enter_context(context)
        state_token = enter_request_state(state)
        try:
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as error:
                self._report(scope, error, state)
                if started:
                    raise
                await self._send_internal_error(send_with_id, request_id)
            finally:
                method = scope["method"]
                if method not in _KNOWN_METHODS:
                    method = "OTHER"
                route = route_template(scope)
                elapsed = time.perf_counter() - start
                if self.metrics_enabled:
                    self._in_progress(-1)
                    self._counter(method, route, status)(1)
                    self._histogram(method, route)(elapsed)
                if self.access_log:
                    access_log.info(
                        "http_request",
                        method=method,
                        route=route,
                        status=status,
                        duration_ms=round(elapsed * 1000, 1),
                        client_ip=context.client_ip,
                    )
        finally:
            exit_request_state(state_token)
            exit_context(context_token)

    @staticmethod
    def _report(scope: Scope, error: Exception, state: RequestState) -> None:
        route = route_template(scope)
        crash_log.error("unhandled_error", method=scope["method"], route=route, exc_info=error)
        sentry.capture_exception(error, route=route, user_id=state.user_id)

    @staticmethod
    async def _send_internal_error(send: Send, request_id: str) -> None:
        body = json.dumps(
            error_body("internal_error", "internal server error", {"request_id": request_id})
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
