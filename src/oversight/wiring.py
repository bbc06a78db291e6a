"""The one wiring point: every way into the database goes through `open_database`.

Entry points call `install()`; the packages' commands and jobs, which sit below this module
in the layer map, open their database with `oversight.db.session.open_database`, which
delegates here (and fails loudly if no entry point installed the wiring).

A write has the same consequences wherever it comes from (the web app, a CLI command, a
scheduled job, a test): the same session hooks see it and the same keyring seals it.

- field encryption: pending plaintext is sealed at flush, before anything else reads it;
- row scope: every ORM SELECT of a session bound to a principal gets its criteria;
- audit capture: every flush of an audited model writes its audit events in the same
  transaction (and a bulk UPDATE/DELETE that would bypass it is refused);
- KPI data version: every flush that writes a KPI input bumps the analytics data version,
  so no cache serves an answer older than the last commit.

The hooks are SQLAlchemy events on the `Session` class, so they apply to every session of
the process; installing them again is a no-op. The keyring is bound per engine: a session
reads and writes encrypted fields with the keyring of the engine it is bound to, and an
engine that was not opened here has none (`oversight.db.encrypted.KeyringNotBound`).
"""

from __future__ import annotations

from sqlalchemy import Engine

import oversight.models  # noqa: F401 - every model mapped, so the registries see them all
from oversight.alerts.rotation import use_chat_lookup
from oversight.analytics.version import install_version_tracking
from oversight.audit.capture import install_audit_capture
from oversight.auth.scope import install_row_scope
from oversight.config import Settings
from oversight.db.encrypted import bind_keyring, install_field_encryption
from oversight.db.session import create_db_engine, use_database_opener
from oversight.telegram.linking import chat_of


def install_session_hooks() -> None:
    """Install every session hook on the `Session` class (idempotent, in the order they
    must run: field encryption seals before the audit capture reads the flush)."""
    install_field_encryption()
    install_row_scope()
    install_audit_capture()
    install_version_tracking()


def wire_engine(engine: Engine, settings: Settings) -> Engine:
    """Bind `settings`' keyring to an engine made elsewhere (a test's shared engine) and
    install the session hooks; returns the engine."""
    bind_keyring(engine, settings.encryption.keyring)
    install_session_hooks()
    return engine


def open_database(settings: Settings) -> Engine:
    """A new engine for the configured database, with its keyring bound and every session
    hook installed. The caller disposes of it."""
    return wire_engine(create_db_engine(settings.database), settings)


def install() -> None:
    """Make `oversight.db.session.open_database` open databases through this module: called
    once by each entry point (`create_app`, the `oversight` command, the tests). Also tells
    the alert hub how to find a user's Telegram chat (the bot's links sit above it)."""
    install_session_hooks()
    use_database_opener(open_database)
    use_chat_lookup(chat_of)
