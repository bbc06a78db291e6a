"""Bulk writes with explicit primary keys: binary `COPY ... FROM STDIN` on PostgreSQL,
batched Core INSERTs elsewhere, both inside the session's transaction.

`ChunkPipeline` commits chunks on a worker thread, so the database checks keys and builds
indexes for one chunk while the next one is generated.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import psycopg
from psycopg import sql
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    Numeric,
    String,
    TypeDecorator,
    Uuid,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session

from oversight.models import metadata

Row = tuple[Any, ...]

ID_TABLES = (
    "customers", "users", "projects", "project_costs", "service_requests",
    "completion_approvals", "work_logs", "invoices",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Rows:
    """Rows for one table: tuples in `columns` order holding plain Python values."""

    table: str
    columns: Sequence[str]
    rows: Sequence[Row]


class BulkWriter:
    """Writes `Rows` through `session` and counts them per table."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.copy = session.get_bind().dialect.name == "postgresql"
        self.counts: dict[str, int] = dict.fromkeys(ID_TABLES, 0)

    def write(self, batch: Rows) -> None:
        if not batch.rows:
            return
        if self.copy:
            self._copy(batch)
        else:
            columns = batch.columns
            self.session.execute(
                insert(metadata.tables[batch.table]),
                [dict(zip(columns, row, strict=True)) for row in batch.rows],
            )
        self.counts[batch.table] = self.counts.get(batch.table, 0) + len(batch.rows)

    def _copy(self, batch: Rows) -> None:
        # Binary COPY skips the SQLAlchemy column types: rows hold plain values (aware UTC
        # datetimes, Decimal amounts, enum values as strings) sent as the column's type.
        raw = cast(psycopg.Connection[Any], self.session.connection().connection.dbapi_connection)
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
            sql.Identifier(batch.table), sql.SQL(", ").join(map(sql.Identifier, batch.columns))
        )
        table = metadata.tables[batch.table]
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types([_copy_type(table.c[name]) for name in batch.columns])
            for row in batch.rows:
                copy.write_row(row)

    def _quote(self, name: str) -> str:
        return self.session.get_bind().dialect.identifier_preparer.quote(name)

    def finish(self) -> None:
        """After explicit ids, move PostgreSQL's id sequences past them and refresh statistics."""
        if not self.copy:
            return
        for name in ID_TABLES:
            table = metadata.tables[name]
            sequence = func.pg_get_serial_sequence(name, "id")
            self.session.execute(select(func.setval(sequence, func.max(table.c.id))))
        for name in ID_TABLES:
            if self.counts.get(name):
                self.session.execute(text(f"ANALYZE {self._quote(name)}"))


class ChunkPipeline:
    """Writes and commits chunks on one worker thread, at most `depth` chunks queued.

    Only the worker touches the session between `start` and `close`. A failure on the worker
    is raised by the next `submit` or by `close`; `close(abort=True)` drops queued chunks.
    SQLite gains little from it (and its connections may refuse other threads), so there
    chunks are written in `submit` itself.
    """

    def __init__(self, writer: BulkWriter, depth: int = 1) -> None:
        self._writer = writer
        self._threaded = writer.copy
        self._queue: queue.Queue[tuple[list[Rows], int] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._abort = threading.Event()
        self._lock = threading.Lock()
        self._committed = 0
        self._thread = threading.Thread(target=self._run, name="demo-data-writer", daemon=True)

    def start(self) -> None:
        if self._threaded:
            self._thread.start()

    @property
    def committed(self) -> int:
        """Units (as given to `submit`) committed so far."""
        with self._lock:
            return self._committed

    def submit(self, chunk: list[Rows], units: int) -> None:
        self._raise_failure()
        if self._threaded:
            self._queue.put((chunk, units))
        else:
            self._write(chunk, units)

    def close(self, *, abort: bool = False) -> None:
        if abort:
            self._abort.set()
        if self._threaded:
            self._queue.put(None)
            self._thread.join()
        if not abort:
            self._raise_failure()

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is None and not self._abort.is_set():
                try:
                    self._write(*item)
                except BaseException as error:  # handed to the generating thread
                    self._error = error

    def _write(self, chunk: list[Rows], units: int) -> None:
        session = self._writer.session
        try:
            for batch in chunk:
                self._writer.write(batch)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        with self._lock:
            self._committed += units


def next_ids(session: Session) -> dict[str, int]:
    """The first free primary key of each table the generator fills."""
    result = {}
    for name in ID_TABLES:
        table = metadata.tables[name]
        result[name] = int(session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1
    return result


def _copy_type(column: Column[Any]) -> str:
    """The PostgreSQL type binary COPY sends `column`'s values as."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Integer):
        return "int4"
    if isinstance(kind, DateTime):
        return "timestamptz" if kind.timezone else "timestamp"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Numeric):
        return "numeric"
    if isinstance(kind, String):
        return "text"
    if isinstance(kind, LargeBinary):
        return "bytea"
    if isinstance(kind, Uuid):
        return "uuid"
    raise TypeError(f"no COPY type for {column} ({kind!r})")
