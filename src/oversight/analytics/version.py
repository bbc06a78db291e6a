"""The analytics data version: a counter bumped in the same transaction as every write to a
KPI input, so a cache keyed by it never serves an answer older than the last commit.

The counter is a row of `number_sequences` ("analytics-data-version", seeded by migration
0003). The bump is an UPDATE, which holds that row's lock until the writing transaction ends:
concurrent writers queue on it for the rest of their transaction, a deliberate trade for a
small company's write rate (one short lock per write transaction).
"""

from __future__ import annotations

from sqlalchemy import event, insert, select, update
from sqlalchemy.orm import Session, UOWTransaction

from oversight.db.sequences import NumberSequence
from oversight.db.traits import is_kpi_input

DATA_VERSION = "analytics-data-version"


def current_version(session: Session) -> int:
    """The data version as this session's transaction sees it."""
    value = session.scalar(
        select(NumberSequence.last_value).where(NumberSequence.name == DATA_VERSION)
    )
    return int(value or 0)


def bump(session: Session) -> None:
    """Advance the data version inside the session's current transaction."""
    # Core statements on the connection: no ORM events, no flush inside the flush.
    table = NumberSequence.metadata.tables[NumberSequence.__tablename__]
    connection = session.connection()
    result = connection.execute(
        update(table).where(table.c.name == DATA_VERSION).values(last_value=table.c.last_value + 1)
    )
    if result.rowcount == 0:  # a database migrated before 0003 seeded the row
        connection.execute(insert(table).values(name=DATA_VERSION, last_value=1))


def _touches_kpi_inputs(session: Session) -> bool:
    # KPI inputs are the models declaring `kpi_input=True` (oversight.db.traits).
    for obj in (*session.new, *session.deleted):
        if is_kpi_input(type(obj)):
            return True
    return any(
        is_kpi_input(type(obj)) and session.is_modified(obj, include_collections=False)
        for obj in session.dirty
    )


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    if _touches_kpi_inputs(session):
        bump(session)


def install_version_tracking() -> None:
    """Bump the data version in every flush that writes a KPI input (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
