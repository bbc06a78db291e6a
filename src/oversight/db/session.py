"""Engines and sessions. Services only flush; the request, job or CLI command commits."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from oversight.config import DatabaseSettings, Settings


def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    # pysqlite's own transaction handling starts transactions late and ignores SAVEPOINT;
    # turn it off and let SQLAlchemy emit BEGIN (SQLAlchemy's documented pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


# The execution option that says how a SQLite transaction begins (see session_factory).
SQLITE_BEGIN = "oversight_sqlite_begin"


def _sqlite_begin(connection: Connection) -> None:
    # A deferred transaction that has read cannot become a writer once another connection has
    # committed since its read: SQLite answers SQLITE_BUSY at once and the busy timeout never
    # waits. Write transactions therefore take the write lock up front (BEGIN IMMEDIATE), where
    # the busy timeout queues them; plain connections (health, metrics, migrations) and read-only
    # sessions stay deferred so that readers never wait for a writer (WAL).
    immediate = connection.get_execution_options().get(SQLITE_BEGIN) == "IMMEDIATE"
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_db_engine(settings: DatabaseSettings) -> Engine:
    """An engine for the configured URL; SQLite files get their folder, WAL and foreign keys."""
    url = make_url(settings.url)
    kwargs: dict[str, Any] = {"echo": settings.echo}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"check_same_thread": False}
        if url.database and url.database != ":memory:":
            # A file database: a queue pool, kept as large as PostgreSQL's (each new
            # connection runs the pragmas below).
            kwargs |= {"pool_size": settings.pool_size, "max_overflow": settings.max_overflow}
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return create_engine(
        url,
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_pre_ping=True,
        **kwargs,
    )


def session_factory(engine: Engine, *, write: bool = True) -> sessionmaker[Session]:
    """Sessions on `engine`. A unit of work may write, so on SQLite its transactions begin
    IMMEDIATE (they queue behind the current writer for up to the busy timeout instead of
    failing with "database is locked"); `write=False` gives deferred, read-only transactions
    for work that only reads (a streamed export). Other engines ignore the option."""
    bind = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE" if write else "DEFERRED"})
    return sessionmaker(bind=bind, expire_on_commit=False, autoflush=True)


_SURVIVORS = "oversight.survivors"


def keep_whatever_happens(session: Session, write: Callable[[Session], object]) -> None:
    """Register a write that must land whatever becomes of this unit of work: with it when it
    commits, or in a transaction of its own after it rolls back (the audit event of a refused
    request, say). Registering the same callable twice runs it once."""
    survivors: list[Callable[[Session], object]] = session.info.setdefault(_SURVIVORS, [])
    if write not in survivors:
        survivors.append(write)


def _run_survivors(session: Session) -> bool:
    survivors = session.info.pop(_SURVIVORS, [])
    for write in survivors:
        write(session)
    return bool(survivors)


def _roll_back(session: Session) -> None:
    session.rollback()
    if _run_survivors(session):
        session.commit()


def end_transaction(session: Session, *, succeeded: bool) -> None:
    """End the unit of work as `transaction_scope` does when its block ends: survivors, then
    commit, if it succeeded (rolled back if the commit fails, and the error raised); rolled
    back, then survivors in a transaction of their own, if it failed. For callers that cannot
    wrap the work in a `with` block on one thread (the request's async session dependency,
    which runs this on a worker thread: it does I/O)."""
    if not succeeded:
        _roll_back(session)
        return
    try:
        _run_survivors(session)
        session.commit()
    except BaseException:
        _roll_back(session)
        raise


@contextmanager
def transaction_scope(session: Session) -> Iterator[Session]:
    """Commit when the block succeeds, roll back when it raises; survivors land either way."""
    try:
        yield session
    except BaseException:
        end_transaction(session, succeeded=False)
        raise
    end_transaction(session, succeeded=True)


def end_unit_of_work(session: Session, *, succeeded: bool) -> None:
    """`end_transaction`, then close the session (what `unit_of_work` does on leaving)."""
    try:
        end_transaction(session, succeeded=succeeded)
    finally:
        session.close()


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A new session whose work commits when the block succeeds and rolls back when it raises."""
    session = factory()
    try:
        with transaction_scope(session):
            yield session
    finally:
        session.close()


def database_unavailable(exc: OperationalError) -> bool:
    """The database could not be reached or is busy, as opposed to a bad statement: the
    connection failed or was lost (PostgreSQL), or the file is locked or cannot be opened
    (SQLite)."""
    if exc.connection_invalidated or isinstance(exc.orig, psycopg.OperationalError):
        return True
    reason = str(exc.orig).lower()
    return "database is locked" in reason or "unable to open database" in reason


_SQLITE_MISSING = re.compile(r"^no such (?:table|column): \S+$")


def missing_schema(exc: DBAPIError) -> str | None:
    """The database's own words when a statement failed because a table or column of
    Oversight's schema is not there (a database never migrated, or migrated for an older
    version); None for any other failure."""
    lines = str(exc.orig).strip().splitlines()
    first = lines[0] if lines else ""
    if isinstance(exc.orig, psycopg.errors.UndefinedTable | psycopg.errors.UndefinedColumn):
        return first
    return first if _SQLITE_MISSING.match(first) else None


DatabaseOpener = Callable[["Settings"], Engine]
_opener: DatabaseOpener | None = None


def use_database_opener(opener: DatabaseOpener) -> None:
    """Install how this process opens its database (`oversight.wiring.install` does, in
    every entry point: the app, the CLI, the scheduler, the tests)."""
    global _opener
    _opener = opener


def open_database(settings: Settings) -> Engine:
    """The configured database, opened by the process's wiring: keyring bound, every session
    hook installed. The packages' commands and jobs call this (they sit below the wiring,
    which imports the hooks of auth, audit and analytics); an entry point that forgot to
    install the wiring fails here, loudly, instead of writing without audit or scope."""
    if _opener is None:
        raise RuntimeError(
            "no database wiring installed: the entry point must call oversight.wiring.install()"
        )
    return _opener(settings)
