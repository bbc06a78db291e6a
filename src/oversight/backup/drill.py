"""Scratch databases for restore drills: a temporary SQLite file, or a PostgreSQL database
created on `OVERSIGHT_BACKUP__DRILL_DATABASE_URL`'s server and dropped afterwards."""

from __future__ import annotations

import contextlib
import secrets
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from oversight.backup.database import open_database
from oversight.backup.errors import BackupError
from oversight.config import Settings


@contextlib.contextmanager
def scratch_database(settings: Settings, engine_name: str) -> Iterator[Engine]:
    """An empty database of `engine_name`, removed when the block ends."""
    if engine_name == "sqlite":
        settings.backup.staging_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(
            prefix="drill-", dir=settings.backup.staging_dir
        ) as folder:
            engine = open_database(f"sqlite:///{Path(folder) / 'drill.db'}")
            try:
                yield engine
            finally:
                engine.dispose()
        return
    server = settings.backup.drill_database_url or settings.database.url
    url = make_url(server)
    if url.get_backend_name() != "postgresql":
        raise BackupError(
            "a PostgreSQL drill needs OVERSIGHT_BACKUP__DRILL_DATABASE_URL (a server)"
        )
    name = f"oversight_drill_{secrets.token_hex(4)}"
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = open_database(url.set(database=name).render_as_string(hide_password=False))
        try:
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
