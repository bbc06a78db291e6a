"""The one place the backup package opens a database outside a request.

Until `oversight.wiring.open_database(settings)` exists on this branch, an engine is made the
way `oversight.cli` makes one; the lead swaps this function's body in one line.
"""

from __future__ import annotations

from sqlalchemy import Engine

from oversight.config import DatabaseSettings
from oversight.db.session import create_db_engine


def open_database(url: str) -> Engine:
    """An engine for `url` (a SQLite file's folder is created)."""
    return create_db_engine(DatabaseSettings(url=url))
