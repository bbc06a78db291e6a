"""Leader election: only the scheduler holding the lock runs jobs, so each runs once.

PostgreSQL: a session-level `pg_try_advisory_lock` on a connection kept open for as long as
the process leads; if that connection dies the lock is released by the server and another
scheduler takes over at its next check. SQLite: one process per database file, always leader.
"""

from __future__ import annotations

import threading

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from oversight.observability import metrics
from oversight.observability.logging import get_logger

log = get_logger("oversight.jobs")


class LeaderLock:
    def __init__(self, engine: Engine, lock_id: int) -> None:
        self._engine = engine
        self._lock_id = lock_id
        self._connection: Connection | None = None
        self._leading = engine.dialect.name != "postgresql"
        self._mutex = threading.Lock()
        metrics.SCHEDULER_LEADER.set(1 if self._leading else 0)

    @property
    def is_leader(self) -> bool:
        return self._leading

    def refresh(self) -> bool:
        """Keep or try to take the lock; True when this process leads afterwards."""
        if self._engine.dialect.name != "postgresql":
            return True
        with self._mutex:
            if self._connection is not None:
                try:
                    self._connection.execute(text("SELECT 1"))
                except SQLAlchemyError:
                    self._drop()
            if self._connection is None:
                try:
                    connection = self._engine.connect()
                    got = connection.execute(
                        text("SELECT pg_try_advisory_lock(:id)"), {"id": self._lock_id}
                    ).scalar()
                    connection.commit()
                except SQLAlchemyError as error:
                    log.warning("leader_check_failed", error=type(error).__name__)
                    got = False
                else:
                    if got:
                        self._connection = connection
                    else:
                        connection.close()
                if bool(got) != self._leading:
                    log.info("leader_changed", leader=bool(got))
                self._leading = bool(got)
            metrics.SCHEDULER_LEADER.set(1 if self._leading else 0)
            return self._leading

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except SQLAlchemyError:
                pass
        self._connection = None
        self._leading = False

    def release(self) -> None:
        with self._mutex:
            if self._connection is not None:
                try:
                    self._connection.execute(
                        text("SELECT pg_advisory_unlock(:id)"), {"id": self._lock_id}
                    )
                    self._connection.close()
                except SQLAlchemyError:
                    pass
            self._connection = None
            self._leading = self._engine.dialect.name != "postgresql"
            metrics.SCHEDULER_LEADER.set(0)
