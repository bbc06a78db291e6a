"""While the database is down the API answers 503 `database_unavailable` (never a 500 with a
trace), `/ready` 503 and `/health` 200; when it is back, the API recovers by itself. Also the
CLI: an unreachable database is one line naming the host, port and reason."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import servers
from oversight.config import Settings
from oversight.db.migrate import upgrade
from oversight.db.session import create_db_engine
from oversight.main import create_app
from oversight.security.fieldcrypt import generate_key

LOGIN = {"username": "nobody", "password": "wrong-password-2026"}


@pytest.fixture
def own_postgres() -> Iterator[servers.PostgresServer]:
    """A server of this test's own, since the test stops it."""
    with servers.postgres_server() as server:
        yield server


@pytest.mark.resilience
def test_the_api_answers_503_while_the_database_is_down_and_recovers(own_postgres):
    own_postgres.create_database("outage")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="test",
        database={"url": own_postgres.url("outage")},
        encryption={"keys": f"outage:{generate_key()}"},
    )
    engine = create_db_engine(settings.database)
    upgrade(engine)
    engine.dispose()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.post("/api/v1/auth/login", json=LOGIN).status_code == 401
        own_postgres.stop()
        try:
            for method, path, body in (
                ("POST", "/api/v1/auth/login", LOGIN),
                ("GET", "/api/v1/customers", None),
            ):
                reply = client.request(method, path, json=body)
                if path == "/api/v1/customers":
                    assert reply.status_code == 401  # no token: refused before the database
                    continue
                assert reply.status_code == 503, reply.text
                assert reply.json()["error"]["code"] == "database_unavailable"
                assert reply.headers["Retry-After"] == "5"
                assert "127.0.0.1" not in reply.text
                assert "Traceback" not in reply.text
            assert client.get("/ready").status_code == 503
            assert client.get("/health").status_code == 200
        finally:
            own_postgres.start()
        assert client.post("/api/v1/auth/login", json=LOGIN).status_code == 401
        assert client.get("/ready").status_code == 200


def test_migrate_against_an_unreachable_database_is_one_line(tmp_path):
    port = servers.free_port()  # nothing listens there
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    # The test run's state directory, whose development keys exist: no "generated" line.
    env["OVERSIGHT_STATE_DIR"] = os.environ["OVERSIGHT_STATE_DIR"]
    env["OVERSIGHT_DATABASE__URL"] = f"postgresql+psycopg://oversight@127.0.0.1:{port}/oversight"
    result = subprocess.run(
        [str(Path(sys.executable).parent / "oversight"), "migrate"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: cannot reach the database at 127.0.0.1:{port}: ")
    assert "refused" in lines[0]


def test_a_command_before_migrate_is_one_line_naming_the_fix(
    backend, database_url_factory, tmp_path
):
    """A database without Oversight's tables (never migrated): one line, exit 1, no trace."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    env["OVERSIGHT_STATE_DIR"] = os.environ["OVERSIGHT_STATE_DIR"]
    env["OVERSIGHT_DATABASE__URL"] = database_url_factory(backend)
    env["PYTHONPATH"] = str(Path(__file__).parents[1] / "src")  # this tree's code
    result = subprocess.run(
        [str(Path(sys.executable).parent / "oversight"), "users", "list"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    missing = {"sqlite": "no such table: users", "postgresql": 'relation "users" does not exist'}
    expected = f"error: the database is not migrated ({missing[backend]}): run `oversight migrate`"
    assert lines[0] == expected
