"""The `oversight` command: serve, migrate, demo data, users, configuration."""

from __future__ import annotations

import getpass
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from oversight.analytics.commands import analytics_app
from oversight.audit.commands import audit_app
from oversight.audit.events import record_event
from oversight.auth import two_factor as two_factor_service
from oversight.auth.sessions import revoke_user_sessions
from oversight.config import Settings, SettingsError, describe_validation_error, get_settings
from oversight.config import masked_settings as masked
from oversight.db import migrate as db_migrate
from oversight.db.session import session_factory, unit_of_work
from oversight.demo.generator import (
    DEMO_PASSWORD,
    DemoAccount,
    DemoDataError,
    DemoSpec,
    database_is_empty,
    generate,
    usable_demo_accounts,
)
from oversight.edge.app import WORKERS_ENV, SharedStorageRequired, check_rate_limit_storage
from oversight.edge.commands import ratelimit_app
from oversight.encryption.commands import keys_app
from oversight.errors import AppError, database_unavailable
from oversight.jobs.commands import jobs_app, run_scheduler
from oversight.kit.context import RequestContext, bound_context
from oversight.kit.pagination import PageParams
from oversight.observability.logging import configure_logging
from oversight.observability.sentry import capture_exception, init_sentry
from oversight.observability.workers import prepare_worker_metrics
from oversight.users import repository as user_repository
from oversight.users import service as user_service
from oversight.users.schemas import UserCreate
from oversight.vocabulary import Role
from oversight.wiring import open_database

WORKER_HEALTHCHECK_SECONDS = 60

app = typer.Typer(
    no_args_is_help=True, help="Oversight: the back office of a field-service company."
)
users_app = typer.Typer(no_args_is_help=True, help="Manage user accounts.")
config_app = typer.Typer(no_args_is_help=True, help="Inspect the configuration.")
app.add_typer(users_app, name="users")
app.add_typer(config_app, name="config")
app.add_typer(jobs_app, name="jobs")
app.add_typer(audit_app, name="audit")
app.add_typer(analytics_app, name="analytics")
app.add_typer(keys_app, name="keys")
app.add_typer(ratelimit_app, name="ratelimit")

console = Console()
err = Console(stderr=True)


@app.callback()
def _every_command(ctx: typer.Context) -> None:
    """Whatever a command changes is audited, with the command as its origin (the commands
    open their database with `oversight.wiring.open_database`, which installs the hooks)."""
    ctx.with_resource(
        bound_context(RequestContext(origin=f"cli:{ctx.invoked_subcommand or 'oversight'}"))
    )


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` on stderr, one unwrapped line per problem, and exit with `code`."""
    typer.echo("\n".join(f"error: {line}" for line in message.splitlines()), err=True)
    raise typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        fail(str(error), code=2)


def engine_or_exit(settings: Settings) -> Engine:
    """The configured database, wired (keyring bound, every session hook installed)."""
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


@app.command()
def scheduler(
    metrics_port: Annotated[
        int | None, typer.Option(help="serve /metrics here (default from settings; 0: off)")
    ] = None,
) -> None:
    """Run the scheduled jobs (once cluster-wide: only the leader runs them)."""
    settings_or_exit()
    run_scheduler(metrics_port)


@app.command("demo-data")
def demo_data(
    customers: Annotated[int, typer.Option(min=1)] = 12,
    engineers: Annotated[int, typer.Option(min=1)] = 8,
    project_managers: Annotated[int, typer.Option(min=1)] = 3,
    projects: Annotated[int, typer.Option(min=1)] = 20,
    requests: Annotated[int, typer.Option(min=0)] = 2000,
    months: Annotated[int, typer.Option(min=1, max=120)] = 18,
    seed: Annotated[int, typer.Option(help="same seed, same company")] = 20261122,
    end: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help="last day of the history (default: today)"),
    ] = None,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="do nothing if the database already has data")
    ] = False,
) -> None:
    """Generate a realistic, reproducible company: people, projects, requests, invoices."""
    settings = settings_or_exit()
    engine = engine_or_exit(settings)
    if if_empty and not database_is_empty(engine):
        console.print("demo data: the database already has data; nothing loaded")
        _print_logins(settings, usable_demo_accounts(engine), DEMO_PASSWORD)
        return
    try:
        spec = DemoSpec(
            customers=customers,
            engineers=engineers,
            project_managers=project_managers,
            projects=projects,
            requests=requests,
            months=months,
            seed=seed,
            end=end.date() if end else None,
        )
    except ValueError as error:
        fail(str(error), code=2)
    columns = (
        TextColumn("{task.description:<16}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        try:
            summary = generate(engine, settings, spec, progress=progress)
        except DemoDataError as error:
            fail(str(error))
    table = Table(title="demo data loaded")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in summary.counts.items():
        table.add_row(name, f"{count:,}")
    console.print(table)
    if summary.password is not None:
        _print_logins(settings, list(summary.accounts), summary.password)


def _print_logins(settings: Settings, accounts: Sequence[DemoAccount], password: str) -> None:
    if not accounts:
        return
    table = Table(title=f"demo logins (password: {password})")
    table.add_column("username")
    table.add_column("role")
    for account in accounts:
        table.add_row(account.username, account.role.value)
    console.print(table)
    base = f"http://{settings.api.host}:{settings.api.port}"
    console.print(
        f"API docs: {base}/docs — log in with POST /api/v1/auth/login, then Authorize with the "
        "access_token"
    )


def _new_password(password_env: str | None) -> str:
    """A password from the environment variable named, or typed twice at a prompt."""
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            fail(f"environment variable {password_env} is empty or not set", code=2)
        return password
    password = getpass.getpass("password: ")
    if getpass.getpass("repeat: ") != password:
        fail("the passwords differ", code=2)
    return password


@users_app.command("create")
def create_user(
    username: str,
    role: Annotated[Role, typer.Option(help="one of: " + ", ".join(Role))],
    full_name: Annotated[str, typer.Option("--name", help="full name")],
    email: Annotated[str | None, typer.Option()] = None,
    phone: Annotated[str | None, typer.Option()] = None,
    customer_id: Annotated[int | None, typer.Option(help="required for client users")] = None,
    capacity: Annotated[Decimal | None, typer.Option(help="engineer: weekly hours")] = None,
    cost_rate: Annotated[Decimal | None, typer.Option(help="engineer: cost per hour")] = None,
    password_env: Annotated[
        str | None,
        typer.Option(help="read the password from this environment variable instead of a prompt"),
    ] = None,
) -> None:
    """Create a user; the password is prompted for (or read from --password-env)."""
    settings = settings_or_exit()
    password = _new_password(password_env)
    try:
        data = UserCreate(
            username=username,
            full_name=full_name,
            password=password,
            role=role,
            email=email,
            phone=phone,
            customer_id=customer_id,
            weekly_capacity_hours=capacity,
            cost_rate=cost_rate,
        )
    except ValidationError as error:
        fail(describe_validation_error(error).replace("invalid setting OVERSIGHT_", "invalid "), 2)
    try:
        with unit_of_work(session_factory(engine_or_exit(settings))) as session:
            user = user_service.create_user(session=session, settings=settings, data=data)
    except AppError as error:
        fail(error.message, code=2)
    console.print(f"created user {user.username} (id {user.id}, role {user.role.value})")


@users_app.command("list")
def list_users(
    role: Annotated[Role | None, typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List users."""
    settings = settings_or_exit()
    with unit_of_work(session_factory(engine_or_exit(settings))) as session:
        rows, _ = user_repository.list_users(
            session, PageParams(page=1, page_size=10_000), role=role
        )
        records = [
            {
                "id": u.id,
                "username": u.username,
                "name": u.full_name,
                "role": u.role.value,
                "active": u.is_active,
            }
            for u in rows
        ]
    if as_json:
        console.print_json(json.dumps(records))
        return
    table = Table()
    for column in ("id", "username", "name", "role", "active"):
        table.add_column(column)
    for record in records:
        table.add_row(*(str(value) for value in record.values()))
    console.print(table)


def _with_user(username: str) -> tuple[Settings, str]:
    return settings_or_exit(), username.strip().lower()


@users_app.command("set-role")
def set_role(
    username: str,
    role: Role,
    customer_id: Annotated[
        int | None, typer.Option(help="required when the role is client")
    ] = None,
) -> None:
    """Change a user's role (takes effect on their next request)."""
    settings, name = _with_user(username)
    try:
        with unit_of_work(session_factory(engine_or_exit(settings))) as session:
            user = user_repository.find_by_username(session, name)
            if user is None:
                fail(f"no user named {name!r}")
            user_service.set_role(session=session, user=user, role=role, customer_id=customer_id)
    except AppError as error:
        fail(error.message, code=2)
    console.print(f"{name} is now {role.value}")


@users_app.command("set-password")
def set_password(
    username: str,
    password_env: Annotated[
        str | None,
        typer.Option(help="read the password from this environment variable instead of a prompt"),
    ] = None,
) -> None:
    """Set a temporary password the user must change at their next login; ends their
    sessions (audited as user.password_reset)."""
    settings, name = _with_user(username)
    password = _new_password(password_env)
    try:
        with unit_of_work(session_factory(engine_or_exit(settings))) as session:
            user = user_repository.find_by_username(session, name)
            if user is None:
                fail(f"no user named {name!r}")
            ended = user_service.set_temporary_password(
                session=session, settings=settings, user=user, password=password
            )
    except AppError as error:
        fail(error.message, code=2)
    console.print(
        f"{name} has a temporary password to change at next login ({ended} sessions ended)"
    )


@users_app.command("disable")
def disable(username: str) -> None:
    """Disable a user: their tokens stop working on the next request. Never the last active
    administrator."""
    settings, name = _with_user(username)
    try:
        with unit_of_work(session_factory(engine_or_exit(settings))) as session:
            user = user_repository.find_by_username(session, name)
            if user is None:
                fail(f"no user named {name!r}")
            user_service.disable_user(session=session, user=user)
    except AppError as error:
        fail(error.message, code=2)
    console.print(f"{name} is disabled")


@users_app.command("reset-2fa")
def reset_two_factor(username: str) -> None:
    """Remove a user's second factor and recovery codes and end their sessions (a lost
    phone); they enrol again at their next login."""
    settings, name = _with_user(username)
    with unit_of_work(session_factory(engine_or_exit(settings))) as session:
        user = user_repository.find_by_username(session, name)
        if user is None:
            fail(f"no user named {name!r}")
        two_factor_service.reset(session=session, user=user)
    console.print(f"{name}: two-factor authentication reset, sessions ended")


@users_app.command("end-sessions")
def end_sessions(username: str) -> None:
    """End every session of a user (a stolen laptop): refresh and access tokens stop working."""
    settings, name = _with_user(username)
    with unit_of_work(session_factory(engine_or_exit(settings))) as session:
        user = user_repository.find_by_username(session, name)
        if user is None:
            fail(f"no user named {name!r}")
        ended = revoke_user_sessions(session=session, user_id=user.id, reason="ended by CLI")
        record_event(session, "auth.sessions_ended", entity_type="user", entity_id=user.id,
                     details={"sessions": ended})  # fmt: skip
    console.print(f"{name}: {ended} session(s) ended")


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
    try:
        init_sentry(get_settings())
    except SettingsError as error:
        typer.echo(str(error), err=True)
        sys.exit(2)
    try:
        app()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        sys.exit(2)
    except AppError as error:
        typer.echo(f"error: {error.message}", err=True)
        sys.exit(1)
    except OSError as error:
        # A file the command was told to read or write (a missing folder, no permission, a
        # full disk): the operator's to fix, so one line, no traceback.
        where = f"{error.filename}: " if error.filename else ""
        typer.echo(f"error: {where}{error.strerror or error}", err=True)
        sys.exit(1)
    except OperationalError as error:
        if not database_unavailable(error):
            capture_exception(error)
            raise
        typer.echo(f"error: {unreachable_database(get_settings(), error)}", err=True)
        sys.exit(1)
    except Exception as error:
        capture_exception(error)
        raise
