"""Cross-cutting request context, carried in contextvars: set once by the HTTP middleware
(or a job runner, or the CLI) and read by the audit trail, the logs and Sentry.

Contextvars set in ASGI middleware reach sync handlers too: Starlette copies the context
into the worker thread that runs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    """Where the current unit of work comes from."""

    request_id: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    origin: str = "http"  # "http", "cli", "job:<name>", "bot"


_current: ContextVar[RequestContext | None] = ContextVar("oversight_request_context", default=None)


def current_context() -> RequestContext:
    return _current.get() or RequestContext(origin="system")


def enter_context(context: RequestContext) -> Token[RequestContext | None]:
    """Make `context` current until `exit_context(token)`: the hot-path form of
    `bound_context`, without a generator-based context manager per request."""
    return _current.set(context)


def exit_context(token: Token[RequestContext | None]) -> None:
    _current.reset(token)


@contextmanager
def bound_context(context: RequestContext) -> Iterator[RequestContext]:
    """Make `context` current inside the block (and restore the previous one after)."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)
