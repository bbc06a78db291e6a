"""`oversight demo-data`: load the realistic, reproducible demo company."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

import typer
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

from oversight.auth import enrolment as enrolment_service
from oversight.auth import two_factor as two_factor_service
from oversight.auth.repository import find_by_username
from oversight.config import Settings
from oversight.config.cli import fail, settings_or_exit
from oversight.db.session import open_database, session_factory, unit_of_work
from oversight.demo.generator import (
    DEMO_PASSWORD,
    DemoAccount,
    DemoDataError,
    DemoSpec,
    database_is_empty,
    generate,
    usable_demo_accounts,
)

console = Console()
err = Console(stderr=True)


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
    engine = open_database(settings)
    if if_empty and not database_is_empty(engine):
        console.print("demo data: the database already has data; nothing loaded")
        _print_logins(settings, engine, usable_demo_accounts(engine), DEMO_PASSWORD)
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
        _print_logins(settings, engine, list(summary.accounts), summary.password)


def _enrolment_tokens(
    settings: Settings, engine: Engine, accounts: Sequence[DemoAccount]
) -> dict[str, str]:
    """A fresh enrolment token for each demo account that must, and has yet to, enrol."""
    tokens: dict[str, str] = {}
    with unit_of_work(session_factory(engine)) as session:
        for account in accounts:
            if account.role not in settings.auth.two_factor_roles:
                continue
            user = find_by_username(session, account.username)
            if user is None or two_factor_service.is_enrolled(session, user.id):
                continue
            issued = enrolment_service.issue(
                session=session, settings=settings, user=user, issued_by=None
            )
            tokens[account.username] = issued.token
    return tokens


def _print_logins(
    settings: Settings, engine: Engine, accounts: Sequence[DemoAccount], password: str
) -> None:
    if not accounts:
        return
    tokens = _enrolment_tokens(settings, engine, accounts)
    table = Table(title=f"demo logins (password: {password})")
    table.add_column("username")
    table.add_column("role")
    table.add_column("2FA enrolment token (POST /api/v1/auth/2fa/enrolment)")
    for account in accounts:
        table.add_row(account.username, account.role.value, tokens.get(account.username, ""))
    console.print(table)
    base = f"http://{settings.api.host}:{settings.api.port}"
    console.print(
        f"API docs: {base}/docs — log in with POST /api/v1/auth/login, then Authorize with the "
        "access_token"
    )
