"""The API's route class: the endpoint's work, its response check and the end of its unit of
work in one worker-thread hand-off.

FastAPI runs a plain `def` endpoint on a worker thread, then (because the endpoint was not a
coroutine) validates its return value on a worker thread again, and the request's session
dependency ends the transaction on a third. `OffloadedRoute` gives FastAPI a coroutine that
runs, on one worker thread (the same thread pool, the same context variables):

1. the endpoint;
2. the check of its return value against the route's response model (FastAPI's own
   validation: the same field, the same errors);
3. the end of the request's unit of work, when the endpoint was handed one (a session
   carrying `UNIT_END` in its `info`, which the session dependency puts there): commit, or
   the error that the commit raised — still before the response is sent.

FastAPI then validates the already validated value on the event loop (for a model instance,
a type check) and serialises it. If the return value does not validate, nothing is ended here:
FastAPI raises its response validation error on the loop and the session dependency rolls the
unit of work back, as it does for any endpoint that raises. Coroutine and generator endpoints
are left as they are. The endpoint's signature and globals are reached through `__wrapped__`,
so parameters, dependencies and the OpenAPI document are those of the endpoint.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

# A session's `info` key: the callable that ends its unit of work (successfully), put there by
# the dependency that opened it and taken (popped) by whoever ends it first.
UNIT_END = "oversight.unit_end"

Validate = Callable[[Any], tuple[Any, bool]]


def offloaded(
    endpoint: Callable[..., Any], validate: Callable[[], Validate | None] = lambda: None
) -> Callable[..., Any]:
    """`endpoint` as a coroutine function that runs it, `validate()`'s check of its return
    value and the end of its session's unit of work on one worker thread; coroutine and
    generator functions unchanged. `validate()` gives (value, ok) for a return value, or is
    None when the route has no response model."""
    if (
        inspect.iscoroutinefunction(endpoint)
        or inspect.isgeneratorfunction(endpoint)
        or inspect.isasyncgenfunction(endpoint)
        or not inspect.isfunction(endpoint)
    ):
        return endpoint

    @functools.wraps(endpoint)  # named as the endpoint in profiles and hand-off counts
    def work(*args: Any, **kwargs: Any) -> Any:
        result = endpoint(*args, **kwargs)
        check = validate()
        if check is not None and not isinstance(result, Response):
            value, ok = check(result)
            if not ok:
                return result  # FastAPI raises its validation error; the unit rolls back
            result = value
        for argument in (*args, *kwargs.values()):
            if isinstance(argument, Session):
                end = argument.info.pop(UNIT_END, None)
                if end is not None:
                    end()
        return result

    @functools.wraps(endpoint)
    async def run(*args: Any, **kwargs: Any) -> Any:
        return await run_in_threadpool(work, *args, **kwargs)

    return run


class OffloadedRoute(APIRoute):
    """An APIRoute whose sync endpoint runs through `offloaded` (see the module docstring).
    Routers of the API declare it: `APIRouter(..., route_class=OffloadedRoute)`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, offloaded(endpoint, self._response_check), **kwargs)

    def _response_check(self) -> Validate | None:
        field = self.response_field
        if field is None:
            return None

        def check(result: Any) -> tuple[Any, bool]:
            # FastAPI's own check of a return value (fastapi.routing.serialize_response).
            value, errors = field.validate(result, {}, loc=("response",))
            return value, not errors

        return check
