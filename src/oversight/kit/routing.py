"""The API's route class: one worker-thread hand-off per endpoint, not two.

FastAPI runs a plain `def` endpoint on a worker thread and then, because the endpoint was
not a coroutine, validates its return value against the response model on a worker thread
again. `OffloadedRoute` gives FastAPI a coroutine that runs the endpoint on a worker thread
itself (the same thread pool, the same context variables), so the response is validated
and serialised on the event loop: validating a model instance the endpoint built is a type
check, cheaper than the hand-off it saves. Coroutine and generator endpoints are left as
they are. The endpoint's signature and globals are reached through `__wrapped__`, so
parameters, dependencies and the OpenAPI document are those of the endpoint.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool


def offloaded(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """`endpoint` as a coroutine function that runs it on a worker thread; coroutine and
    generator functions unchanged."""
    if (
        inspect.iscoroutinefunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
        or inspect.isasyncgenfunction(endpoint)
        or not inspect.isfunction(endpoint)
    ):
        return endpoint

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return run


class OffloadedRoute(APIRoute):
    """An APIRoute whose sync endpoint runs through `offloaded` (see the module docstring).
    Routers of the API declare it: `APIRouter(..., route_class=OffloadedRoute)`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, offloaded(endpoint), **kwargs)
