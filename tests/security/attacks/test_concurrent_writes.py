"""Concurrent writers through the real HTTP server (issue 12, finding 11).

On SQLite a deferred transaction that has read cannot become a writer once another connection
committed: it failed at once with "database is locked" (500), the busy timeout never waiting.
Several threads now write through the API at the same time — refusals (each writes an
`access.denied` audit event), profile updates and request changes — and no answer is a 5xx,
on either engine.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import servers
from builders import TEST_ARGON2, make_project, make_request, make_user
from oversight.audit.models import AuditEvent
from oversight.auth.sessions import start_session
from oversight.config import Settings
from oversight.db.encrypted import bind_keyring
from oversight.db.migrate import upgrade
from oversight.db.session import create_db_engine
from oversight.main import create_app
from oversight.security.fieldcrypt import generate_key
from oversight.vocabulary import Role

THREADS = 6
ROUNDS = 25


class Served:
    def __init__(self, base: str, tokens: dict[str, str], request_id: int, engine: object):
        self.base, self.tokens, self.request_id, self.engine = base, tokens, request_id, engine


@pytest.fixture(scope="module")
def served(backend: str, database_url_factory) -> Iterator[Served]:  # type: ignore[no-untyped-def]
    """The app on a committed database of its own, served by uvicorn on a free port."""
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="test",
        database={"url": database_url_factory(backend)},
        encryption={"keys": f"writers:{generate_key()}"},
        ratelimit={"enabled": False},
        auth={
            "argon2_time_cost": TEST_ARGON2.time_cost,
            "argon2_memory_kib": TEST_ARGON2.memory_kib,
            "argon2_parallelism": TEST_ARGON2.parallelism,
        },
    )
    engine = create_db_engine(settings.database)
    bind_keyring(engine, settings.encryption.keyring)
    upgrade(engine)
    app = create_app(settings, engine=engine)
    with Session(engine) as session:
        engineers = [make_user(session, Role.engineer) for _ in range(THREADS)]
        pm = make_user(session, Role.project_manager)
        request = make_request(session, project_id=make_project(session, manager_id=pm.id).id)
        tokens = {
            f"engineer{i}": start_session(
                session=session, settings=settings, user=user, second_factor=None
            ).access_token
            for i, user in enumerate(engineers)
        }
        tokens["pm"] = start_session(
            session=session, settings=settings, user=pm, second_factor=None
        ).access_token
        session.commit()
        request_id = request.id
    port = servers.free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        if server.started:
            break
        threading.Event().wait(0.05)
    yield Served(base, tokens, request_id, engine)
    server.should_exit = True
    thread.join(timeout=10)
    engine.dispose()


def _writer(served: Served, worker: int) -> Counter[int]:
    """One client: a refusal, a profile update and a request change, ROUNDS times."""
    statuses: Counter[int] = Counter()
    engineer = {"Authorization": f"Bearer {served.tokens[f'engineer{worker}']}"}
    pm = {"Authorization": f"Bearer {served.tokens['pm']}"}
    with httpx.Client(base_url=served.base, timeout=30) as client:
        for round_ in range(ROUNDS):
            answers = [
                client.get("/api/v1/users", headers=engineer),
                client.patch(
                    "/api/v1/users/me",
                    json={"full_name": f"Engineer {worker}-{round_}"},
                    headers=engineer,
                ),
                client.patch(
                    f"/api/v1/requests/{served.request_id}",
                    json={"description": f"worker {worker} round {round_}"},
                    headers=pm,
                ),
            ]
            statuses.update(answer.status_code for answer in answers)
    return statuses


def test_concurrent_writers_through_the_api_get_no_server_error(served: Served) -> None:
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda worker: _writer(served, worker), range(THREADS)))
    statuses = sum(results, Counter())
    assert sum(statuses.values()) == THREADS * ROUNDS * 3
    assert not [code for code in statuses if code >= 500], statuses
    assert statuses == Counter({403: THREADS * ROUNDS, 200: 2 * THREADS * ROUNDS}), statuses
    with Session(served.engine) as session:  # type: ignore[arg-type]
        denied = session.scalar(select(func.count()).where(AuditEvent.action == "access.denied"))
    assert denied == THREADS * ROUNDS
