"""The request path's worker-thread hand-offs: one per step that does I/O, none for the
cheap dependencies (guards, settings, page, permission check) or the response validation;
and the route class that moves response validation onto the event loop keeps FastAPI's
behaviour (parameters, dependencies, validation of what the endpoint returns)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import anyio.to_thread
import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from builders import make_request, make_user
from oversight.kit.routing import OffloadedRoute, offloaded
from oversight.vocabulary import Role


@pytest.fixture
def hand_offs(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """The functions run on worker threads (starlette's run_in_threadpool calls anyio's
    run_sync), counted by name."""
    seen: Counter[str] = Counter()
    run_sync = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        inner = getattr(func, "func", func)  # functools.partial from run_in_threadpool
        seen[getattr(inner, "__qualname__", repr(inner))] += 1
        return await run_sync(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return seen


def test_an_authenticated_list_and_read_hand_off_only_their_io(client, session, auth, hand_offs):
    engineer = make_user(session, Role.engineer)
    request = make_request(session, assigned_engineer_id=engineer.id)
    headers = auth(engineer)
    for path in ("/api/v1/requests?page_size=50", f"/api/v1/requests/{request.id}"):
        hand_offs.clear()
        response = client.get(path, headers=headers)
        assert response.status_code == 200, response.text
        # The test wiring's session dependency (a sync generator: tests/conftest.py) costs
        # two hand-offs of its own (enter, exit); production's opens on the loop and ends in
        # one (get_session: end_unit_of_work).
        assert sorted(hand_offs.elements()) == sorted(
            [
                "_GeneratorContextManager.__enter__",
                "_GeneratorContextManager.__exit__",
                "get_current_principal",  # the user and the login session, read fresh
                "list_requests" if path.endswith("50") else "read_request",
            ]
        ), path


def test_a_refused_caller_is_still_refused_and_audited(client, session, auth):
    engineer = make_user(session, Role.engineer)
    response = client.get("/api/v1/invoices", headers=auth(engineer))
    assert response.status_code == 403
    assert "may not read invoices" in response.json()["error"]["message"]


class Item(BaseModel):
    id: int
    thread: str


def _app(endpoint: Any, *, response_model: Any = None) -> FastAPI:
    router = APIRouter(route_class=OffloadedRoute)
    router.add_api_route("/items/{item_id}", endpoint, response_model=response_model)
    app = FastAPI()
    app.include_router(router)
    return app


def test_the_route_class_runs_a_sync_endpoint_on_a_worker_thread_with_its_parameters():
    def read_item(item_id: int, q: str = "x") -> Item:
        return Item(id=item_id, thread=threading.current_thread().name + q)

    assert offloaded(read_item).__wrapped__ is read_item  # type: ignore[attr-defined]
    with TestClient(_app(read_item)) as client:
        answer = client.get("/items/7?q=!")
        assert answer.status_code == 200
        assert answer.json()["id"] == 7
        assert answer.json()["thread"].endswith("!")
        assert answer.json()["thread"] != threading.current_thread().name + "!"
        assert client.get("/items/seven").status_code == 422  # parameters still validated
        assert "q" in str(client.get("/openapi.json").json()["paths"]["/items/{item_id}"])


def test_the_route_class_still_validates_what_the_endpoint_returns():
    def wrong(item_id: int) -> Any:
        return {"id": "not a number", "thread": "t"}

    with TestClient(_app(wrong, response_model=Item), raise_server_exceptions=False) as client:
        assert client.get("/items/1").status_code == 500


def test_coroutine_and_generator_endpoints_are_left_alone():
    async def coroutine() -> None:
        return None

    def generator() -> Iterator[int]:
        yield 1

    assert offloaded(coroutine) is coroutine
    assert offloaded(generator) is generator
