"""Cross-cutting context of the current unit of work, carried in contextvars: the one module
for it, at the bottom of the foundation (it imports nothing from Oversight).

- `RequestContext` (immutable): where the work comes from — request id, client address,
  user agent, origin. Set once by the HTTP middleware (or a job runner, or the CLI) and read
  by the audit trail, the logs and Sentry. Contextvars set in ASGI middleware reach sync
  handlers too: Starlette copies the context into the worker thread that runs them.
- `RequestState` (mutable): facts learned downstream of the middleware (today: the caller's
  user id). Sync handlers and dependencies run in a worker thread with a *copy* of the
  request's contextvars, so a contextvar they set never reaches the middleware; the
  middleware therefore puts one mutable `RequestState` in the context, the auth dependency
  fills it in place (`note_user`), and the middleware reads it back for the access log line,
  Sentry and the metrics.
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


@dataclass(slots=True)
class RequestState:
    """Mutable facts about the current request; filled in as the request is handled."""

    user_id: int | None = None


_state: ContextVar[RequestState | None] = ContextVar("oversight_request_state", default=None)


def request_state() -> RequestState | None:
    return _state.get()


def note_user(user_id: int) -> None:
    """Record the authenticated caller of the current request (no-op outside a request)."""
    state = _state.get()
    if state is not None:
        state.user_id = user_id


def enter_request_state(state: RequestState) -> Token[RequestState | None]:
    return _state.set(state)


def exit_request_state(token: Token[RequestState | None]) -> None:
    _state.reset(token)


@contextmanager
def bound_request_state(state: RequestState) -> Iterator[RequestState]:
    token = _state.set(state)
    try:
        yield state
    finally:
        _state.reset(token)
