"""Schema migrations (Alembic), driven from code so the CLI and the tests share one path."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

SCRIPT_LOCATION = "oversight:migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (default: the newest)."""
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        config = alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


class UnknownRevision(ValueError):
    """No migration has that revision id."""


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    scripts = ScriptDirectory.from_config(_script_config())
    return [script.revision for script in reversed(list(scripts.walk_revisions()))]


def move_to(engine: Engine, revision: str) -> None:
    """Upgrade or downgrade to `revision`, whichever direction it lies in."""
    known = revisions()
    if revision not in known:
        raise UnknownRevision(f"no migration {revision!r}; known revisions: {', '.join(known)}")
    current = current_revision(engine)
    if current is not None and known.index(revision) < known.index(current):
        downgrade(engine, revision)
    else:
        upgrade(engine, revision)


def _script_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    return config


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
