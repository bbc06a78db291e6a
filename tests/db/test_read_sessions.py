"""Safe-method requests read beside the writer on SQLite (issue 19).

A GET on SQLite runs in a deferred, query-only transaction instead of `BEGIN IMMEDIATE`, so a
slow read no longer holds the single write lock while writers queue behind it past the busy
timeout. The writes a GET must make (audit events: KPI views, downloads, exports, refusals,
probes) land after the read in a short write transaction of their own, committed before the
answer; a write forgotten in a read transaction fails loudly ("attempt to write a readonly
database"). PostgreSQL keeps one write session per request, unchanged.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import files_samples
import servers
from builders import TEST_ARGON2, make_customer, make_user
from companies import Company, make_company
from oversight.audit.events import record_event
from oversight.audit.models import AuditEvent
from oversight.audit.verification import verify_chain
from oversight.auth.dependencies import SessionDep
from oversight.auth.sessions import start_session
from oversight.config import Settings
from oversight.customers.models import Customer
from oversight.db.migrate import upgrade
from oversight.db.session import (
    end_unit_of_work,
    is_read_only,
    session_factory,
    unit_of_work,
)
from oversight.main import create_app
from oversight.security.fieldcrypt import generate_key
from oversight.vocabulary import Role
from oversight.wiring import open_database
from routes import routes_of


def _settings(url: str, hot_dir: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="test",
        database={"url": url},
        encryption={"keys": f"reads:{generate_key()}"},
        files={"hot_dir": str(hot_dir)},
        ratelimit={"enabled": False},
        auth={
            "argon2_time_cost": TEST_ARGON2.time_cost,
            "argon2_memory_kib": TEST_ARGON2.memory_kib,
            "argon2_parallelism": TEST_ARGON2.parallelism,
        },
    )


def _events(engine: Engine, action: str) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).where(AuditEvent.action == action)) or 0)


def _chain_ok(engine: Engine) -> bool:
    with engine.connect() as connection:
        return verify_chain(connection).ok


def _token(session: Session, settings: Settings, user: object) -> dict[str, str]:
    issued = start_session(session=session, settings=settings, user=user, second_factor="totp")  # type: ignore[arg-type]
    return {"Authorization": f"Bearer {issued.access_token}"}


# --- the session layer, on a SQLite file ---------------------------------------------------


@pytest.fixture
def lite(database_url_factory, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    engine = open_database(_settings(database_url_factory("sqlite"), tmp_path))
    upgrade(engine)
    yield engine
    engine.dispose()


def test_a_read_session_is_query_only_and_its_connection_writes_again_afterwards(lite):
    reads = session_factory(lite, write=False)
    with reads() as session:
        assert is_read_only(session)
        with pytest.raises(OperationalError, match="attempt to write a readonly database"):
            session.execute(text("UPDATE number_sequences SET last_value = last_value"))
    for _ in range(lite.pool.size() + 1):  # every pooled connection a reader has used
        with unit_of_work(session_factory(lite)) as session:
            assert not is_read_only(session)
            make_customer(session)
    with lite.connect() as connection:  # a plain connection (health, migrations) writes too
        connection.execute(text("UPDATE number_sequences SET last_value = last_value"))
        connection.commit()


def test_a_read_session_writes_its_events_after_the_read_only_if_it_succeeds(lite):
    reads = session_factory(lite, write=False)
    session = reads()
    record_event(session, "test.viewed")
    record_event(session, "test.refused", survive_rollback=True)
    end_unit_of_work(session, succeeded=False)
    assert (_events(lite, "test.viewed"), _events(lite, "test.refused")) == (0, 1)
    session = reads()
    session.scalar(select(func.count(Customer.id)))
    record_event(session, "test.viewed")
    record_event(session, "test.viewed")
    end_unit_of_work(session, succeeded=True)
    assert _events(lite, "test.viewed") == 2
    assert _chain_ok(lite)


def test_an_orm_write_forgotten_in_a_read_session_fails_instead_of_vanishing(lite):
    session = session_factory(lite, write=False)()
    session.add(Customer(name="Never written"))
    with pytest.raises(OperationalError, match="readonly database"):
        end_unit_of_work(session, succeeded=True)
    with lite.connect() as connection:
        assert connection.scalar(select(func.count(Customer.id))) == 0


# --- which session a request gets, on both engines ----------------------------------------


def test_safe_methods_read_apart_on_sqlite_only(apps, settings, backend):
    app = apps.get("default", lambda: settings)
    state = app.state
    assert not is_read_only(state.session_factory())
    assert is_read_only(state.read_session_factory())
    # PostgreSQL (MVCC: readers never wait for writers) keeps the request's write session.
    expected = state.read_session_factory if backend == "sqlite" else state.session_factory
    assert state.safe_session_factory is expected


# --- a served SQLite app: reads beside writes, concurrency, the sweep of every GET ---------


@dataclass
class Served:
    app: FastAPI
    base: str
    engine: Engine
    company: Company
    hidden_request_id: int
    tokens: dict[str, dict[str, str]]
    attachment_id: int
    slow_reading: threading.Event
    slow_release: threading.Event


def _slow_route(app: FastAPI, reading: threading.Event, release: threading.Event) -> None:
    """A GET that reads, then keeps its transaction open until the test releases it."""

    @app.get("/test/slow-read")
    def slow_read(session: SessionDep) -> dict[str, int]:
        count = int(session.scalar(select(func.count(Customer.id))) or 0)
        reading.set()
        release.wait(10)
        return {"customers": count}


@pytest.fixture(scope="module")
def served(database_url_factory, tmp_path_factory) -> Iterator[Served]:  # type: ignore[no-untyped-def]
    settings = _settings(database_url_factory("sqlite"), tmp_path_factory.mktemp("hot"))
    engine = open_database(settings)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        company = make_company(session)
        hidden = make_company(session).request
        admin = make_user(session, Role.admin)
        people = {"admin": admin, "manager": company.manager, "engineer": company.engineer,
                  "contact": company.contact}  # fmt: skip
        tokens = {name: _token(session, settings, user) for name, user in people.items()}
        session.commit()
    app = create_app(settings, engine=engine)
    reading, release = threading.Event(), threading.Event()
    _slow_route(app, reading, release)
    port = servers.free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=base, timeout=30) as client:
        uploaded = files_samples.upload(
            client, company.request.id, files_samples.jpeg(), tokens["contact"]
        )
    assert uploaded.status_code == 201, uploaded.text
    yield Served(
        app, base, engine, company, hidden.id, tokens, uploaded.json()["id"], reading, release
    )
    release.set()
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def test_a_long_read_request_does_not_block_a_write_request(served):
    served.slow_reading.clear()
    served.slow_release.clear()
    with httpx.Client(base_url=served.base, timeout=30) as client, ThreadPoolExecutor(1) as pool:
        slow = pool.submit(client.get, "/test/slow-read")
        assert served.slow_reading.wait(10)
        started = time.monotonic()
        write = client.patch(
            "/api/v1/users/me", json={"full_name": "Written Beside"},
            headers=served.tokens["engineer"],
        )  # fmt: skip
        waited = time.monotonic() - started
        served.slow_release.set()
        assert write.status_code == 200, write.text
        # Before, the write queued behind the read's write lock for the whole busy timeout
        # (5 s: the read is released only after the write answers) and failed with 503.
        assert waited < 4.5, waited
        assert slow.result().status_code == 200


def _url(path: str, served: Served) -> str:
    company = served.company
    ids = {
        "customer_id": company.customer.id, "project_id": company.project.id,
        "cost_id": company.cost.id, "request_id": company.request.id,
        "work_log_id": company.work_log.id, "invoice_id": company.invoice.id,
        "user_id": company.engineer.id, "entity_id": company.customer.id,
        "alert_id": 1, "attachment_id": served.attachment_id,
    }  # fmt: skip
    path = path.replace("{entity}", "customers").replace("{name}", "open-requests")
    for name, value in ids.items():
        path = path.replace("{" + name + "}", str(value))
    assert "{" not in path, path
    return path


def _gets(client: httpx.Client, served: Served) -> list[tuple[str, str, int]]:
    """Every GET route as an administrator and as an engineer (refusals), the signed download
    and preview links, and a probe outside the contact's scope: (role, url, status)."""
    answers = []
    for route in routes_of(served.app):
        if route.method != "GET" or not route.path.startswith("/api/"):
            continue
        url = _url(route.path, served)
        for role in ("admin", "engineer"):  # every answer, and refusals
            headers = served.tokens[role]
            answers.append((role, url, client.get(url, headers=headers).status_code))
    links = client.post(
        f"/api/v1/attachments/{served.attachment_id}/links", headers=served.tokens["engineer"]
    ).json()
    for url in (links["download_url"], links["preview_url"]):
        if url is not None:
            answers.append(("link", url, client.get(url).status_code))
    probe = f"/api/v1/requests/{served.hidden_request_id}"  # another customer's request
    answers.append(
        ("contact", probe, client.get(probe, headers=served.tokens["contact"]).status_code)
    )
    return answers


def test_every_get_route_makes_its_writes_outside_the_read(served):
    before = {
        action: _events(served.engine, action)
        for action in (
            "analytics.viewed",
            "access.denied",
            "access.out_of_scope",
            "attachment.download",
        )
    }
    with httpx.Client(base_url=served.base, timeout=30) as client:
        answers = _gets(client, served)
    assert len(answers) > 80
    failed = [answer for answer in answers if answer[2] >= 500]
    assert not failed, failed
    statuses = Counter(status for _, _, status in answers)
    assert statuses[200] > 50, statuses
    assert statuses[403] > 10, statuses
    # The GETs' writes landed: KPI views, refusals, a scope probe, the signed download.
    for action, count in before.items():
        assert _events(served.engine, action) > count, action
    assert _chain_ok(served.engine)


THREADS = 6
ROUNDS = 5


def _client_mix(served: Served, worker: int) -> tuple[Counter[int], list[int]]:
    """One client: a new customer, an audited KPI view, a refused list (audited), a scoped
    list and a page of the trail, ROUNDS times; the statuses and the ids created."""
    tokens = served.tokens
    statuses: Counter[int] = Counter()
    created: list[int] = []
    with httpx.Client(base_url=served.base, timeout=30) as client:
        for round_ in range(ROUNDS):
            name = f"Worker {worker} round {round_}"
            customer = client.post(
                "/api/v1/customers", json={"name": name}, headers=tokens["admin"]
            )
            if customer.status_code == 201:
                created.append(customer.json()["id"])
            answers = [
                client.get("/api/v1/analytics/summary", headers=tokens["admin"]),
                client.get("/api/v1/users", headers=tokens["engineer"]),
                client.get("/api/v1/requests", headers=tokens["manager"]),
                customer,
                client.get("/api/v1/audit", headers=tokens["admin"]),
            ]
            statuses.update(answer.status_code for answer in answers)
    return statuses, created


def test_mixed_reads_and_writes_get_no_server_error_and_lose_nothing(served):
    denied = _events(served.engine, "access.denied")
    viewed = _events(served.engine, "analytics.viewed")
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda worker: _client_mix(served, worker), range(THREADS)))
    statuses = sum((result[0] for result in results), Counter())
    created = [ident for result in results for ident in result[1]]
    total = THREADS * ROUNDS
    assert statuses == Counter({200: 3 * total, 403: total, 201: total}), statuses
    with Session(served.engine) as session:
        found = session.scalars(select(Customer.id).where(Customer.id.in_(created))).all()
        assert sorted(found) == sorted(created)
        creations = session.scalar(
            select(func.count()).where(
                AuditEvent.action == "customer.create", AuditEvent.entity_id.in_(map(str, created))
            )
        )
        assert creations == total
    assert _events(served.engine, "access.denied") - denied == total
    assert _events(served.engine, "analytics.viewed") - viewed == total
    assert _chain_ok(served.engine)
