"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Integer, String, column, create_engine, insert, inspect, select, table

from oversight.db import migrate
from oversight.db.types import UTCDateTime
from oversight.models import metadata


@pytest.fixture
def fresh_engine(backend, database_url_factory):
    engine = create_engine(database_url_factory(backend))
    yield engine
    engine.dispose()


def _drift(engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_migrated_schema_matches_the_models(fresh_engine):
    migrate.upgrade(fresh_engine)
    assert _drift(fresh_engine) == []


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(fresh_engine):
    migrate.upgrade(fresh_engine)
    migrate.downgrade(fresh_engine, "base")
    assert set(inspect(fresh_engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(fresh_engine)
    assert set(metadata.tables) <= set(inspect(fresh_engine).get_table_names())
    assert _drift(fresh_engine) == []


def test_current_revision_is_head_after_upgrade(fresh_engine):
    migrate.upgrade(fresh_engine)
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(migrate.alembic_config(fresh_engine)).get_current_head()
    assert migrate.current_revision(fresh_engine) == head


def test_login_failures_of_running_windows_survive_the_move_to_a_rolling_hour(fresh_engine):
    """0007: a window still running is carried over as failures dated at its start (they stop
    counting when the window would have ended); an ended window is not; the downgrade counts
    them back."""
    migrate.upgrade(fresh_engine, "0005")
    now = datetime.now(UTC)
    old = table(
        "login_throttle",
        column("key", String),
        column("consecutive_failures", Integer),
        column("window_started_at", UTCDateTime()),
        column("window_failures", Integer),
        column("updated_at", UTCDateTime()),
    )
    running, ended = now - timedelta(minutes=10), now - timedelta(hours=2)
    with fresh_engine.begin() as connection:
        connection.execute(
            insert(old),
            [
                {"key": "ip:running", "consecutive_failures": 3, "window_started_at": running,
                 "window_failures": 3, "updated_at": now},
                {"key": "ip:ended", "consecutive_failures": 2, "window_started_at": ended,
                 "window_failures": 2, "updated_at": ended},
            ],
        )  # fmt: skip
    migrate.upgrade(fresh_engine)
    failures = table("login_failures", column("key", String), column("failed_at", UTCDateTime()))
    with fresh_engine.connect() as connection:
        rows = connection.execute(select(failures.c.key, failures.c.failed_at)).all()
    assert sorted(rows) == [("ip:running", running)] * 3
    migrate.downgrade(fresh_engine, "0005")
    with fresh_engine.connect() as connection:
        restored = connection.execute(
            select(old.c.key, old.c.window_started_at, old.c.window_failures)
        ).all()
    assert sorted(restored) == [("ip:ended", ended, 0), ("ip:running", running, 3)]
