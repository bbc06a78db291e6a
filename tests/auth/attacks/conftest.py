"""A database of its own for the thread races: their transactions must really commit, so
they cannot run inside the test's rolled-back transaction."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine

from builders import TEST_ARGON2
from oversight.config import Settings
from oversight.db.migrate import upgrade
from oversight.security.fieldcrypt import generate_key
from oversight.wiring import open_database


@dataclass(frozen=True)
class CommittedDatabase:
    engine: Engine
    settings: Settings


@pytest.fixture(scope="module")
def committed(backend: str, database_url_factory) -> Iterator[CommittedDatabase]:  # type: ignore[no-untyped-def]
    if backend != "postgresql":
        pytest.skip("the thread races run on PostgreSQL, where rows are locked one by one")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        env="test",
        database={"url": database_url_factory(backend)},
        encryption={"keys": f"race:{generate_key()}"},
        auth={
            "argon2_time_cost": TEST_ARGON2.time_cost,
            "argon2_memory_kib": TEST_ARGON2.memory_kib,
            "argon2_parallelism": TEST_ARGON2.parallelism,
        },
    )
    engine = open_database(settings)
    upgrade(engine)
    yield CommittedDatabase(engine, settings)
    engine.dispose()
