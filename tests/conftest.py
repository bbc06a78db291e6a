"""Fixtures: real databases (SQLite file and a PostgreSQL server we start), one transaction
per test rolled back at the end, the app wired to that transaction, and tokens per user."""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).parent / "support"))
# What a development run generates (its JWT signing key, oversight.config.local) goes to a
# directory of the test run's own, never into the checkout's var/; subprocesses inherit it.
os.environ.setdefault("OVERSIGHT_STATE_DIR", tempfile.mkdtemp(prefix="oversight-state-"))
# Its keys are made once here, so that no command of a test announces generating them.
from oversight.config.local import take_announcements, with_local_secrets

with_local_secrets({"state_dir": os.environ["OVERSIGHT_STATE_DIR"]})
take_announcements()

import engines
import servers
from builders import TEST_ARGON2
from oversight.analytics.cache import make_cache
from oversight.auth.dependencies import get_session, get_streaming_session
from oversight.auth.models import User
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.auth.sessions import start_session
from oversight.config import ObservabilitySettings, Settings
from oversight.db.migrate import upgrade
from oversight.db.session import transaction_scope
from oversight.main import create_app
from oversight.observability.logging import configure_logging
from oversight.security.fieldcrypt import generate_key
from oversight.wiring import install as install_wiring
from oversight.wiring import open_database

BACKENDS = ["sqlite", "postgresql"]


LogLine = dict[str, object]

TEST_FIELD_KEYS = f"test:{generate_key()}"  # a fresh field encryption key per test run
TEST_FILES_DIR = tempfile.mkdtemp(prefix="oversight-test-files-")
atexit.register(shutil.rmtree, TEST_FILES_DIR, True)


def make_settings(database_url: str, **auth: object) -> Settings:
    """Test settings: the database, and argon2 at the builders' (OWASP minimum) cost."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="test",
        database={"url": database_url},
        encryption={"keys": TEST_FIELD_KEYS},
        files={"hot_dir": TEST_FILES_DIR},  # uploads never land in the working tree
        auth={
            "argon2_time_cost": TEST_ARGON2.time_cost,
            "argon2_memory_kib": TEST_ARGON2.memory_kib,
            "argon2_parallelism": TEST_ARGON2.parallelism,
            **auth,
        },
    )


@pytest.fixture(scope="session")
def postgres() -> Iterator[servers.PostgresServer]:
    """One real PostgreSQL server for the whole session (per xdist worker)."""
    with servers.postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def database_url_factory(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> object:
    """Makes a fresh, empty database on a backend and returns its URL."""
    counter = iter(range(1_000_000))

    def make(backend: str) -> str:
        number = next(counter)
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('sqlite')}/oversight-{number}.db"
        server: servers.PostgresServer = request.getfixturevalue("postgres")
        name = f"oversight_{number}"
        server.create_database(name)
        return server.url(name)

    return make


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def settings(backend: str, database_url_factory: object) -> Settings:
    return make_settings(database_url_factory(backend))  # type: ignore[operator]


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    """A migrated database on the current backend, shared by the session's tests."""
    install_wiring()  # what every entry point does: commands and jobs open through it
    db_engine = open_database(settings)
    upgrade(db_engine)
    yield db_engine
    db_engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    Commits inside the test (or the app) only release savepoints.
    """
    connection = engine.connect()
    transaction = connection.begin()
    db_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield db_session
    finally:
        db_session.close()
        transaction.rollback()
        connection.close()


def wire_to_test_session(application: FastAPI, session: Session) -> FastAPI:
    """Make `application` run every request in the test's transaction."""

    def test_session() -> Iterator[Session]:
        # Each request starts like a fresh session would: the test's set-up committed (a
        # savepoint release), no principal, no cached objects (a cached object would bypass
        # the row scope of the next caller).
        session.commit()
        session.info.pop(PRINCIPAL_KEY, None)
        session.expunge_all()
        with transaction_scope(session):
            yield session

    def test_streaming_session() -> Iterator[Session]:
        yield session

    application.dependency_overrides[get_session] = test_session
    application.dependency_overrides[get_streaming_session] = test_streaming_session
    return application


class AppCache:
    """One app per variant of the settings, shared by the session's tests.

    FastAPI builds an app's route table on its first request (~0.5 s for Oversight's routes),
    so a fresh app per test cost most of the suite's time. A test gets the shared app in the
    state a fresh one has: no dependency overrides but its own, empty in-process rate-limit
    counts and an empty KPI cache.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.apps: dict[str, FastAPI] = {}

    def get(self, variant: str, settings: Callable[[], Settings]) -> FastAPI:
        application = self.apps.get(variant)
        if application is None:
            application = self.apps[variant] = create_app(settings(), engine=self.engine)
        fresh(application)
        return application


def fresh(application: FastAPI) -> None:
    application.dependency_overrides.clear()
    application.state.analytics_cache = make_cache(application.state.settings.analytics)
    limiter = application.state.rate_limiter
    if limiter is not None and not limiter.shared:
        asyncio.run(limiter.reset())


@pytest.fixture(scope="session")
def apps(engine: Engine) -> AppCache:
    return AppCache(engine)


@pytest.fixture
def app(
    request: pytest.FixtureRequest, settings: Settings, apps: AppCache, session: Session
) -> Iterator[FastAPI]:
    def variant() -> Settings:
        if not unlimited:
            return settings
        # Modules that send hundreds of requests to one endpoint to test something else; the
        # limits themselves are tested in tests/edge.
        limits = settings.ratelimit.model_copy(update={"enabled": False})
        return settings.model_copy(update={"ratelimit": limits})

    unlimited = request.node.get_closest_marker("no_rate_limits") is not None
    application = apps.get(f"no_rate_limits={unlimited}", variant)
    yield wire_to_test_session(application, session)
    application.dependency_overrides.clear()


@pytest.fixture
def client_with(
    settings: Settings, apps: AppCache, session: Session
) -> Iterator[Callable[..., TestClient]]:
    """`client_with(**auth)` -> a client of an app whose auth settings differ from the
    session's (a longer back-off, other argon2 costs, other signing keys)."""
    clients: list[TestClient] = []

    def make(**auth: object) -> TestClient:
        def variant() -> Settings:
            changed = type(settings.auth).model_validate(settings.auth.model_dump() | auth)
            return settings.model_copy(update={"auth": changed})

        key = json.dumps(auth, sort_keys=True, default=_reveal)
        application = wire_to_test_session(apps.get(f"auth={key}", variant), session)
        test_client = TestClient(application, raise_server_exceptions=False)
        clients.append(test_client.__enter__())
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)
        test_client.app.dependency_overrides.clear()  # type: ignore[attr-defined]


@pytest.fixture
def client_for(apps: AppCache, session: Session) -> Iterator[Callable[[str, Settings], TestClient]]:
    """`client_for(key, settings)` -> a client of an app built from other settings (one app
    per `key`, shared by the session's tests), running in the test's transaction."""
    clients: list[TestClient] = []

    def make(key: str, changed: Settings) -> TestClient:
        application = wire_to_test_session(apps.get(key, lambda: changed), session)
        test_client = TestClient(application, raise_server_exceptions=False)
        clients.append(test_client.__enter__())
        return test_client

    yield make
    for test_client in clients:
        test_client.__exit__(None, None, None)
        test_client.app.dependency_overrides.clear()  # type: ignore[attr-defined]


def _reveal(value: object) -> str:
    """Variant keys tell settings apart by their secrets too (other signing keys)."""
    return value.get_secret_value() if isinstance(value, SecretStr) else repr(value)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def json_logs(
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Callable[[], list[dict[str, object]]]]:
    """`json_logs()` -> the log lines written since the last call, parsed (JSON format)."""
    configure_logging(ObservabilitySettings(log_format="json"), force=True)
    capsys.readouterr()

    def read() -> list[LogLine]:
        return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]

    yield read
    configure_logging(ObservabilitySettings(log_format="json"), force=True)


@pytest.fixture
def auth(settings: Settings, session: Session):  # type: ignore[no-untyped-def]
    """`auth(user)` -> headers carrying a valid access token for that user, of a session
    started directly as if the user had passed the second factor too (tests of the 2FA flow
    log in for real)."""

    def headers(user: User) -> dict[str, str]:
        issued = start_session(session=session, settings=settings, user=user, second_factor="totp")
        return {"Authorization": f"Bearer {issued.access_token}"}

    return headers


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Engine-independent modules run on the embedded engine alone (tests/support/engines.py)."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        (dropped if engines.deselected(item) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
