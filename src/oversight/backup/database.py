"""Engines for the databases a backup reads into or out of that are not the application's own:
a restore target and a drill's scratch database. They get a bare engine: a restore copies
rows as they are stored (field ciphertext included) and checks them against the manifest, so
no keyring or session hook is involved. The application's own database is opened through the
process's wiring (`oversight.db.session.open_database`) like everywhere else."""

from __future__ import annotations

from sqlalchemy import Engine

from oversight.config import DatabaseSettings
from oversight.db.session import create_db_engine


def open_database(url: str) -> Engine:
    """A bare engine for `url` (a SQLite file's folder is created)."""
    return create_db_engine(DatabaseSettings(url=url))
