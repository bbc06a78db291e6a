"""The `oversight` command: the root app, `serve`, `migrate` and `config`.

Every other command lives beside its package (`<package>/commands.py`) and is registered here
by name (`OversightGroup.lazy`): its module is imported only when that command runs.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from oversight.config import Settings, SettingsError, get_settings
from oversight.config import masked_settings as masked
from oversight.config.cli import exit_for_settings_error, fail, settings_or_exit
from oversight.context import RequestContext, bound_context
from oversight.db.session import database_unavailable, missing_schema
from oversight.errors import AppError
from oversight.kit.lazy_commands import LazyCommand, LazyTyperGroup
from oversight.observability.sentry import capture_exception, init_sentry

WORKER_HEALTHCHECK_SECONDS = 60


def _with_telegram_commands(users_app: typer.Typer) -> typer.Typer:
    """`users` with the bot's `link-code` and `unlink-telegram` mounted (the users package
    sits below the bot's in the layer map)."""
    from oversight.telegram.commands import link_code, unlink_telegram

    mounted = {info.name for info in users_app.registered_commands}
    for name, command in (("link-code", link_code), ("unlink-telegram", unlink_telegram)):
        if name not in mounted:
            users_app.command(name)(command)
    return users_app


class OversightGroup(LazyTyperGroup):
    """The root group: every package's commands load when they run (`restore` does not
    import the web app); `--help` lists them with the help below, which tests compare with
    each command's own."""

    lazy = {
        "restore": LazyCommand(
            "oversight.backup.commands:restore_command",
            "Restore backup ID into DATABASE (empty unless --force) and FILES.",
        ),
        "scheduler": LazyCommand(
            "oversight.jobs.commands:scheduler",
            "Run the scheduled jobs (once cluster-wide: only the leader runs them).",
        ),
        "demo-data": LazyCommand(
            "oversight.demo.commands:demo_data",
            "Generate a realistic, reproducible company: people, projects, requests, invoices.",
        ),
        "bot": LazyCommand(
            "oversight.telegram.commands:run_bot",
            "Answer Telegram commands (long polling) until interrupted.",
        ),
        "users": LazyCommand(
            "oversight.users.commands:users_app",
            "Manage user accounts.",
            prepare=_with_telegram_commands,
        ),
        "jobs": LazyCommand("oversight.jobs.commands:jobs_app", "Scheduled jobs."),
        "audit": LazyCommand(
            "oversight.audit.commands:audit_app", "The audit trail: verify, export, archive."
        ),
        "analytics": LazyCommand("oversight.analytics.commands:analytics_app", "KPI analytics."),
        "alerts": LazyCommand(
            "oversight.alerts.commands:alerts_app", "The alert hub: on-call, statistics."
        ),
        "keys": LazyCommand(
            "oversight.encryption.commands:keys_app", "Field encryption keys: status and rotation."
        ),
        "ratelimit": LazyCommand("oversight.edge.commands:ratelimit_app", "Rate limits."),
        "backup": LazyCommand(
            "oversight.backup.commands:backup_app",
            "Encrypted backups: run, list, verify, prune, drill.",
        ),
        "files": LazyCommand(
            "oversight.files.commands:files_app", "Attachments: status, previews, cold tier."
        ),
        "storage": LazyCommand(
            "oversight.backup.storage_commands:storage_app",
            "Remote storage monitor: scan the watched paths, show the trend.",
        ),
    }


app = typer.Typer(
    cls=OversightGroup,
    no_args_is_help=True,
    help="Oversight: the back office of a field-service company.",
)
config_app = typer.Typer(no_args_is_help=True, help="Inspect the configuration.")
app.add_typer(config_app, name="config")

console = Console()


@app.callback()
def _every_command(ctx: typer.Context) -> None:
    """Whatever a command changes is audited, with the command as its origin: the wiring is
    installed first, so every command's `open_database` installs the session hooks."""
    from oversight import wiring

    wiring.install()
    ctx.with_resource(
        bound_context(RequestContext(origin=f"cli:{ctx.invoked_subcommand or 'oversight'}"))
    )


def engine_or_exit(settings: Settings) -> Engine:
    """The configured database, wired (keyring bound, every session hook installed)."""
    from oversight.wiring import open_database

    return open_database(settings)


@app.command()
def migrate(
    to: Annotated[
        str | None,
        typer.Option(
            "--to",
            help="go to this revision instead of the newest: older is a rollback "
            "(revisions: src/oversight/migrations/versions/)",
        ),
    ] = None,
) -> None:
    """Bring the database schema up to date (or, with --to, to an older revision)."""
    from oversight.db import migrate as db_migrate

    settings = settings_or_exit()
    engine = engine_or_exit(settings)
    if to is None:
        db_migrate.upgrade(engine)
    else:
        try:
            db_migrate.move_to(engine, to)
        except db_migrate.UnknownRevision as error:
            fail(str(error), code=2)
    console.print(f"database at revision {db_migrate.current_revision(engine)}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default from settings)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default from settings)")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="restart on code changes (development)")] = False,
) -> None:
    """Serve the HTTP API (and its docs at /docs)."""
    import uvicorn

    from oversight.edge.app import WORKERS_ENV, SharedStorageRequired, check_rate_limit_storage
    from oversight.observability.logging import configure_logging
    from oversight.observability.workers import prepare_worker_metrics

    settings = settings_or_exit()
    try:
        check_rate_limit_storage(settings, workers)
    except SharedStorageRequired as error:
        fail(str(error), code=2)
    if workers > 1:
        prepare_worker_metrics(settings.observability)
        os.environ[WORKERS_ENV] = str(workers)
    configure_logging(settings.observability)
    uvicorn.run(
        "oversight.main:create_app",
        factory=True,
        host=host or settings.api.host,
        port=port or settings.api.port,
        workers=workers,
        reload=reload,
        log_config=None,
        access_log=False,
        # The app resolves the client behind OVERSIGHT_API__TRUSTED_PROXIES itself; uvicorn's
        # own rewriting (which trusts 127.0.0.1 by default) would happen before it.
        proxy_headers=False,
        # A spawned worker re-imports this command's module before it can answer the
        # supervisor's first ping; uvicorn's default 5 s killed workers in a loop on a busy
        # host (seen at load 8 on 2 cores: `Child process [...] died` every 5 s, no error).
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )


@config_app.command("show")
def show_config() -> None:
    """Print the effective settings, secrets masked."""
    settings = settings_or_exit()
    console.print_json(json.dumps(masked(settings)))


def unreachable_database(settings: Settings, error: OperationalError) -> str:
    """One line: where the database was expected and why it did not answer (no password)."""
    url = make_url(settings.database.url)
    # libpq: 'connection failed: connection to server at "h", port p failed: <reason>\n\tIs…'
    first = str(error.orig).strip().splitlines()[0] if str(error.orig).strip() else ""
    reason = first.rsplit(" failed: ", 1)[-1] or type(error.orig).__name__
    where = f"{url.host or 'localhost'}:{url.port or 5432}" if url.host else url.database
    return f"cannot reach the database at {where}: {reason}"


def main() -> None:
    """The console script: Sentry first (when configured), then the command."""
    try:
        init_sentry(get_settings())
        app()
    except SettingsError as error:
        exit_for_settings_error(error)
    except AppError as error:
        typer.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    except OSError as error:
        # A file the command was told to read or write (a missing folder, no permission, a
        # full disk): the operator's to fix, so one line, no traceback.
        where = f"{error.filename}: " if error.filename else ""
        typer.echo(f"error: {where}{error.strerror or error}", err=True)
        sys.exit(1)
    except DBAPIError as error:
        if isinstance(error, OperationalError) and database_unavailable(error):
            typer.echo(f"error: {unreachable_database(get_settings(), error)}", err=True)
            sys.exit(1)
        missing = missing_schema(error)
        if missing is None:
            capture_exception(error)
            raise
        # Run before `oversight migrate` (or after an upgrade without it): the operator's to fix.
        typer.echo(
            f"error: the database is not migrated ({missing}): run `oversight migrate`", err=True
        )
        sys.exit(1)
    except Exception as error:
        capture_exception(error)
        raise
