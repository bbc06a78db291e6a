"""What a backup records about its database: engine, version, schema revision, row counts per
table and the audit chain head — all read from the same snapshot as the dump itself.

PostgreSQL: a REPEATABLE READ transaction exports its snapshot and `pg_dump --snapshot` dumps
exactly that; the counts are read in the same transaction. SQLite: the counts are read from
the copy the online backup API made.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, func, inspect, select, table, text

from oversight.audit.chain import read_head

VERSION_TABLE = "alembic_version"


@dataclass(frozen=True, slots=True)
class DatabaseFacts:
    engine: str
    engine_version: str
    alembic_revision: str | None
    row_counts: dict[str, int] = field(default_factory=dict)
    audit_last_id: int = 0
    audit_head_hash: str = ""


def read_facts(connection: Connection) -> DatabaseFacts:
    """The facts of the database `connection` sees, in its current transaction."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        version = str(connection.execute(text("SHOW server_version")).scalar())
    else:
        version = str(connection.execute(text("SELECT sqlite_version()")).scalar())
    last_id, last_hash = _audit_head(connection)
    return DatabaseFacts(
        engine=dialect,
        engine_version=version,
        alembic_revision=schema_revision(connection),
        row_counts=row_counts(connection),
        audit_last_id=last_id,
        audit_head_hash=last_hash,
    )


def table_names(connection: Connection) -> list[str]:
    """The application's tables (Alembic's bookkeeping table excluded), sorted."""
    names = inspect(connection).get_table_names()
    return sorted(name for name in names if name != VERSION_TABLE)


def row_counts(connection: Connection) -> dict[str, int]:
    return {
        name: int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())
        for name in table_names(connection)
    }


def schema_revision(connection: Connection) -> str | None:
    if VERSION_TABLE not in inspect(connection).get_table_names():
        return None
    value = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()  # noqa: S608
    return None if value is None else str(value)


def _audit_head(connection: Connection) -> tuple[int, str]:
    if "audit_chain_head" not in inspect(connection).get_table_names():
        return 0, ""
    head = read_head(connection)
    return head.last_id, head.last_hash
