"""The migrations build exactly the schema the models describe, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from oversight.db import migrate
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
