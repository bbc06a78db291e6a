"""The bot's database: opened through the one wiring point, and the unit of work each
update runs in."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from oversight.config import Settings
from oversight.db import session as db_session
from oversight.db.session import session_factory, unit_of_work


def open_database(settings: Settings) -> Engine:
    """An engine for the bot with its keyring bound and every session hook installed, as
    for the API (through the wiring the entry point installed)."""
    return db_session.open_database(settings)


def units_of_work(engine: Engine) -> Callable[[], AbstractContextManager[Session]]:
    """A factory of units of work on `engine`: committed when the block succeeds."""
    factory = session_factory(engine)
    return lambda: unit_of_work(factory)
