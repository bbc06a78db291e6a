"""Per-request facts learned downstream of the middleware (today: the caller's user id).

Sync handlers and dependencies run in a worker thread with a *copy* of the request's
contextvars, so a contextvar they set never reaches the middleware. The middleware therefore
puts one mutable `RequestState` in the context; the auth dependency fills it in place, and the
middleware reads it back for the access log line, Sentry and the metrics.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass


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
