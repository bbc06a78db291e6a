"""The request path's worker-thread hand-offs: one per step that does I/O, none for the
cheap dependencies (guards, settings, page, permission check) or the response validation;
the route class that runs endpoint, response check and commit in one hand-off keeps
FastAPI's behaviour (parameters, dependencies, validation of what the endpoint returns) and
the unit of work's (committed on success, rolled back on an error or an invalid answer)."""

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
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, func, select

from builders import make_request, make_user
from oversight.auth.dependencies import SessionDep
from oversight.config import DatabaseSettings
from oversight.db.session import create_db_engine, session_factory
from oversight.errors import Conflict
from oversight.kit.routing import OffloadedRoute, offloaded
from oversight.observability.error_responses import install_error_handlers
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


_NOTES = Table(
    "notes", MetaData(), Column("id", Integer, primary_key=True), Column("text", String(20))
)


class Note(BaseModel):
    id: int
    text: str


def _notes_app(url: str) -> FastAPI:
    """Production's session dependency (not the tests' override) behind the route class."""
    router = APIRouter(route_class=OffloadedRoute)

    @router.post("/notes/{text}")
    def write_note(session: SessionDep, text: str) -> Note:
        note_id = session.execute(_NOTES.insert().values(text=text)).inserted_primary_key[0]
        if text == "refused":
            raise Conflict("refused after writing")
        if text == "malformed":
            return {"id": note_id}  # type: ignore[return-value]
        return Note(id=note_id, text=text)

    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    engine = create_db_engine(DatabaseSettings(url=url))
    _NOTES.create(engine)
    app.state.session_factory = session_factory(engine)
    return app


def test_the_unit_of_work_ends_on_the_endpoints_hand_off(
    backend: str, database_url_factory: Any, hand_offs: Counter[str]
) -> None:
    url = database_url_factory(backend)
    with TestClient(_notes_app(url), raise_server_exceptions=False) as client:
        answer = client.post("/notes/kept")
        assert answer.status_code == 200, answer.text
        assert answer.json()["text"] == "kept"
        # One hand-off: the endpoint, its answer's check and the commit.
        assert [name.rsplit(".", 1)[-1] for name in hand_offs.elements()] == ["write_note"]
        hand_offs.clear()
        assert client.post("/notes/refused").status_code == 409
        assert client.post("/notes/malformed").status_code == 500
        # Both rolled back, on a hand-off of the session dependency's own.
        assert hand_offs["end_unit_of_work"] == 2
    plain = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    with plain.connect() as connection:
        assert connection.execute(select(_NOTES.c.text)).scalars().all() == ["kept"]
        assert connection.execute(select(func.count()).select_from(_NOTES)).scalar() == 1
    plain.dispose()
