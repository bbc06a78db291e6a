"""The bot's database: the one place it opens one (swap for `oversight.wiring.open_database`
once that exists), and the unit of work each update runs in."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from oversight.analytics.version import install_version_tracking
from oversight.audit.capture import install_audit_capture
from oversight.auth.scope import install_row_scope
from oversight.config import Settings
from oversight.db.encrypted import bind_keyring
from oversight.db.session import create_db_engine, session_factory, unit_of_work


def open_database(settings: Settings) -> Engine:
    """An engine for the bot with every session hook the API installs (row scope, audit
    capture, KPI data version, field encryption keyring)."""
    engine = create_db_engine(settings.database)
    bind_keyring(engine, settings.encryption.keyring)
    install_row_scope()
    install_version_tracking()
    install_audit_capture()
    return engine


def units_of_work(engine: Engine) -> Callable[[], AbstractContextManager[Session]]:
    """A factory of units of work on `engine`: committed when the block succeeds."""
    factory = session_factory(engine)
    return lambda: unit_of_work(factory)
