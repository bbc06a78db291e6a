"""`oversight alerts ...`: who is on call, the on-call statistics, deliver what is queued."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from oversight.alerts import delivery, escalation
from oversight.alerts import service as alert_service
from oversight.alerts.schemas import Goal, StatsRow
from oversight.config import Settings, SettingsError, get_settings
from oversight.context import RequestContext, bound_context
from oversight.db import session as db_session
from oversight.db.session import session_factory, unit_of_work
from oversight.kit.clock import utcnow

alerts_app = typer.Typer(no_args_is_help=True, help="The alert hub: on-call, statistics.")
console = Console()


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def open_database(settings: Settings) -> Engine:
    """The one place this package opens a database outside a request: through the wiring
    (keyring bound, session hooks and the Telegram chat lookup installed)."""
    return db_session.open_database(settings)


def _database_failed(error: SQLAlchemyError) -> NoReturn:
    cause = getattr(error, "orig", None) or error
    typer.echo(
        f"error: the database could not be read ({type(cause).__name__}); "
        "is it reachable and migrated (`oversight migrate`)?",
        err=True,
    )
    raise typer.Exit(1)


@alerts_app.command("oncall")
def show_oncall() -> None:
    """Who is on call now, until when, and who is next (by the rotation stored through the
    API, else the settings')."""
    settings = _settings()
    engine = open_database(settings)
    try:
        with (
            bound_context(RequestContext(origin="cli:alerts oncall")),
            unit_of_work(session_factory(engine)) as session,
        ):
            rotation = alert_service.oncall_now(session, settings=settings)
    except SQLAlchemyError as error:
        _database_failed(error)
    finally:
        engine.dispose()
    if rotation is None:
        typer.echo(
            "no on-call rotation: store one (PUT /api/v1/alerts/oncall/rotation) or configure "
            "OVERSIGHT_ALERTS__ONCALL__PEOPLE",
            err=True,
        )
        raise typer.Exit(1)
    until = rotation.until.isoformat() if rotation.until else "the next shift is not set"
    following = rotation.next_person.name if rotation.next_person else "nobody"
    console.print(f"on call: {rotation.person.name} until {until}; next: {following}")


def _cell(goal: Goal) -> str:
    if goal.value is None:
        return "-"
    mark = "✓" if goal.met else "✗"
    places = 2 if goal.unit == "h" else 1
    return f"{goal.value:.{places}f} {goal.unit} {mark}"


@alerts_app.command("stats")
def show_stats(
    days: Annotated[int, typer.Option(min=1, max=3660, help="how many days back")] = 28,
) -> None:
    """MTTR, time to acknowledge and noise per week and per alert name, beside their goals;
    KPI adoption per role."""
    settings = _settings()
    engine = open_database(settings)
    until = utcnow()
    try:
        with (
            bound_context(RequestContext(origin="cli:alerts stats")),
            unit_of_work(session_factory(engine)) as session,
        ):
            stats = alert_service.alert_stats(
                session, settings=settings, since=until - timedelta(days=days), until=until
            )
    except SQLAlchemyError as error:
        _database_failed(error)
    finally:
        engine.dispose()
    table = Table(title=f"On-call, last {days} days")
    overall = stats.overall
    for column in (
        "",
        "alerts",
        f"MTTR (goal < {overall.mttr.goal:g} {overall.mttr.unit})",
        f"time to ack (goal < {overall.time_to_ack.goal:g} {overall.time_to_ack.unit})",
        f"noise (goal < {overall.noise.goal:g} {overall.noise.unit})",
    ):
        table.add_column(column)
    sections: list[list[StatsRow]] = [[stats.overall], stats.by_week, stats.by_alertname]
    for section in sections:
        for row in section:
            table.add_row(
                row.key, str(row.alerts), _cell(row.mttr), _cell(row.time_to_ack), _cell(row.noise)
            )
        table.add_section()
    console.print(table)
    adoption = Table(title="KPI adoption, last 30 days (goal 80 %)")
    for column in ("role", "people", "looked", "share"):
        adoption.add_column(column)
    for entry in stats.adoption:
        share = "-" if entry.share is None else f"{entry.share:.0%}"
        adoption.add_row(entry.role, str(entry.people), str(entry.looked), share)
    console.print(adoption)


@alerts_app.command("deliver")
def deliver_now() -> None:
    """Queue due escalations and send every pending notification now (what the
    `alerts_escalate` job does every minute)."""
    settings = _settings()
    engine = open_database(settings)
    try:
        with (
            bound_context(RequestContext(origin="cli:alerts deliver")),
            unit_of_work(session_factory(engine)) as session,
        ):
            escalation.escalate_due(session, settings, now=datetime.now(UTC))
            session.commit()
            sent = delivery.deliver_pending(
                session, settings, delivery.channels_from(settings), checkpoint=session.commit
            )
    except SQLAlchemyError as error:
        _database_failed(error)
    finally:
        engine.dispose()
    console.print(f"{sent} notification(s) delivered")
