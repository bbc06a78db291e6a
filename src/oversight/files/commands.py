"""`oversight files ...`: the hot/cold state, and the jobs' work run once by hand."""

from __future__ import annotations

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from oversight.config import Settings, SettingsError, get_settings
from oversight.context import RequestContext, bound_context
from oversight.db.session import open_database, session_factory, unit_of_work
from oversight.files import metrics, mover, previews
from oversight.storage import StorageError

files_app = typer.Typer(no_args_is_help=True, help="Attachments: status, previews, cold tier.")


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def _engine(settings: Settings) -> Engine:
    """The database, opened the one way every entry point opens it."""
    return open_database(settings)


@files_app.command("status")
def status() -> None:
    """Print the mover backlog (hot files due to move) and the previews still pending."""
    settings = _settings()
    try:
        with _engine(settings).connect() as connection:
            backlog, pending = metrics.backlogs(connection, settings)
    except OperationalError:
        typer.echo("error: the database cannot be reached", err=True)
        raise typer.Exit(1) from None
    cold = settings.files.cold.url if settings.files.cold is not None else "not configured"
    typer.echo(f"cold tier: {cold}")
    typer.echo(f"files due to move: {backlog}")
    typer.echo(f"previews pending: {pending}")


@files_app.command("previews")
def render_previews() -> None:
    """Render every pending preview now (what the `file_previews` job does each minute)."""
    settings = _settings()
    with (
        bound_context(RequestContext(origin="cli:files previews")),
        unit_of_work(session_factory(_engine(settings))) as session,
    ):
        done = previews.render_pending(session, settings, limit=100_000)
    typer.echo(f"previews rendered or marked unavailable: {done}")


@files_app.command("move")
def move() -> None:
    """Run the hot -> cold mover once now; exit 1 if any move failed (they are retried)."""
    settings = _settings()
    if settings.files.cold is None:
        typer.echo("error: no cold tier: set OVERSIGHT_FILES__COLD__URL", err=True)
        raise typer.Exit(2)
    try:
        with (
            bound_context(RequestContext(origin="cli:files move")),
            unit_of_work(session_factory(_engine(settings))) as session,
        ):
            result = mover.run_mover(session, settings)
    except StorageError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"moved: {result.moved}, failed: {result.failed}")
    if result.failed:
        raise typer.Exit(1)
