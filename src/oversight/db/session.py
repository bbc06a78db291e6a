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
    connection_record.info[_QUERY_ONLY] = False


# The execution option that says how a SQLite transaction begins (see session_factory):
# "IMMEDIATE" (a unit of work that may write), "READ" (deferred and query-only: a read-only
# session) or absent (deferred: plain connections such as health, metrics, migrations).
SQLITE_BEGIN = "oversight_sqlite_begin"
# Whether the pooled connection is in `PRAGMA query_only` now (kept in its pool record).
_QUERY_ONLY = "oversight.query_only"


def _sqlite_begin(connection: Connection) -> None:
    # A deferred transaction that has read cannot become a writer once another connection has
    # committed since its read: SQLite answers SQLITE_BUSY at once and the busy timeout never
    # waits. Write transactions therefore take the write lock up front (BEGIN IMMEDIATE), where
    # the busy timeout queues them; plain connections (health, metrics, migrations) and read-only
    # sessions stay deferred so that readers never wait for a writer (WAL). A read-only
    # session's connection is also query-only for as long as it is one, so that a write
    # attempted in it fails at once ("attempt to write a readonly database") instead of trying
    # the upgrade above.
    mode = connection.get_execution_options().get(SQLITE_BEGIN)
    query_only = mode == "READ"
    if connection.info.get(_QUERY_ONLY, False) != query_only:
        connection.exec_driver_sql(f"PRAGMA query_only={'ON' if query_only else 'OFF'}")
        connection.info[_QUERY_ONLY] = query_only
    connection.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")


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


_READ_ONLY = "oversight.read_only"
_WRITE: dict[str, Any] = {SQLITE_BEGIN: "IMMEDIATE"}


def session_factory(engine: Engine, *, write: bool = True) -> sessionmaker[Session]:
    """Sessions on `engine`. A unit of work may write, so on SQLite its transactions begin
    IMMEDIATE (they queue behind the current writer for up to the busy timeout instead of
    failing with "database is locked").

    `write=False` gives read-only sessions (a safe-method request on SQLite, a streamed
    export): on SQLite their transactions are deferred and query-only, so they never hold or
    wait for the write lock. The few writes a reader must make (audit events, survivors) are
    not made in its transaction but registered (`keep_whatever_happens`, `write_after_read`)
    and made by `end_transaction` in a short write transaction of their own once the read
    has ended. Other engines ignore the SQLite options; the registration applies to them too."""
    bind = engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE" if write else "READ"})
    return sessionmaker(
        bind=bind, expire_on_commit=False, autoflush=True, info={_READ_ONLY: not write}
    )


def is_read_only(session: Session) -> bool:
    """True for a session of a `session_factory(..., write=False)`: its writes must be
    registered with `write_after_read` or `keep_whatever_happens`, not made in it."""
    return bool(session.info.get(_READ_ONLY))


_SURVIVORS = "oversight.survivors"
_AFTER_READ = "oversight.after_read"


def keep_whatever_happens(session: Session, write: Callable[[Session], object]) -> None:
    """Register a write that must land whatever becomes of this unit of work: with it when it
    commits, or in a transaction of its own after it rolls back (the audit event of a refused
    request, say). On a read-only session it always lands in a write transaction of its own
    after the read. Registering the same callable twice runs it once."""
    survivors: list[Callable[[Session], object]] = session.info.setdefault(_SURVIVORS, [])
    if write not in survivors:
        survivors.append(write)


def write_after_read(session: Session, write: Callable[[Session], object]) -> None:
    """Register a write of a read-only session (`is_read_only`) that lands only if its unit of
    work succeeds: once the read has ended, in a short write transaction of its own that
    `end_transaction` commits before it returns (so a request answers only after the write
    is durable, and fails if it cannot be made). Registering the same callable twice runs it
    once. On a session that may write, make the write in its transaction instead."""
    writes: list[Callable[[Session], object]] = session.info.setdefault(_AFTER_READ, [])
    if write not in writes:
        writes.append(write)


def _run_survivors(session: Session) -> bool:
    survivors = session.info.pop(_SURVIVORS, [])
    for write in survivors:
        write(session)
    return bool(survivors)


def _write_apart(session: Session, writes: list[Callable[[Session], object]]) -> None:
    """Run `writes`, then the survivors, in one write transaction of the session's own
    (BEGIN IMMEDIATE on SQLite, whatever the session's bind says) and commit it."""
    writes = [*writes, *session.info.pop(_SURVIVORS, [])]
    if not writes:
        return
    session.connection(execution_options=_WRITE)
    try:
        for write in writes:
            write(session)
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _roll_back(session: Session) -> None:
    """Roll the unit of work back, then land its survivors in a transaction of their own."""
    session.rollback()
    _write_apart(session, [])


def _end_read(session: Session, *, succeeded: bool) -> None:
    after_read = session.info.pop(_AFTER_READ, [])
    if not succeeded:
        _roll_back(session)
        return
    try:
        # Commit, not roll back: pending changes would flush, and fail loudly in a query-only
        # transaction, instead of vanishing.
        session.commit()
    except BaseException:
        _roll_back(session)
        raise
    _write_apart(session, after_read)


def end_transaction(session: Session, *, succeeded: bool) -> None:
    """End the unit of work as `transaction_scope` does when its block ends: survivors, then
    commit, if it succeeded (rolled back if the commit fails, and the error raised); rolled
    back, then survivors in a transaction of their own, if it failed. A read-only session
    ends its read first (commit or rollback), then makes its registered writes (those of
    `write_after_read` only if it succeeded) and survivors in one write transaction.
    For callers that cannot wrap the work in a `with` block on one thread (the request's
    async session dependency, which runs this on a worker thread: it does I/O)."""
    if is_read_only(session):
        _end_read(session, succeeded=succeeded)
        return
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
