"""`oversight analytics ...`: the KPI summary in the terminal and charts to files.

The CLI session has no principal, so it sees the whole company (like the director).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from oversight.analytics import schemas as s
from oversight.analytics import service, text
from oversight.analytics.cache import MemoryCache
from oversight.config.cli import settings_or_exit
from oversight.db.session import create_db_engine, session_factory

analytics_app = typer.Typer(no_args_is_help=True, help="KPI analytics.")

Start = Annotated[
    datetime | None, typer.Option(formats=["%Y-%m-%d"], help="first day (default: month start)")
]
End = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"], help="last day, included")]


def _summary_rows(summary: s.Summary) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []

    def add(label: str, value: object) -> None:
        rows.append((label, "—" if value is None else str(value)))

    if summary.open_requests:
        add("open requests", summary.open_requests.count)
        add("mean age, days", summary.open_requests.mean_age_days)
    if summary.sla_at_risk:
        add("past due / due within 24 h",
            f"{summary.sla_at_risk.past_due} / {summary.sla_at_risk.due_within_24h}")  # fmt: skip
    if summary.first_response:
        first = summary.first_response
        add("first response mean / P90, h", f"{first.mean_hours} / {first.p90_hours}")
        add("responses within SLA, %", summary.first_response.within_sla_percent)
    if summary.time_to_close:
        ttc = summary.time_to_close
        add("time to close mean / median / P90, h",
            f"{ttc.mean_hours} / {ttc.median_hours} / {ttc.p90_hours}")  # fmt: skip
    if summary.on_time:
        add("closed / on time", f"{summary.on_time.closed} / {summary.on_time.on_time}")
        add("on-time rate, %", summary.on_time.on_time_percent)
    if summary.throughput:
        add("closed per day", summary.throughput.per_day)
    if summary.approvals:
        add("approval rate, %", summary.approvals.approval_percent)
    if summary.revision_cycles:
        add("revisions per closed request", summary.revision_cycles.mean_revisions)
    if summary.revenue:
        add("revenue issued", text.money(summary.revenue.issued, summary.revenue.currency))
        add("revenue paid", text.money(summary.revenue.paid, summary.revenue.currency))
    if summary.overdue_invoices:
        overdue = summary.overdue_invoices
        add("overdue invoices", f"{overdue.count}: {text.money(overdue.total, overdue.currency)}")
    if summary.utilization:
        loads = [e.utilization_percent for e in summary.utilization.engineers]
        known = [load for load in loads if load is not None]
        average = f"{sum(known) / len(known):.2f}" if known else "—"
        add("engineers / mean utilization, %", f"{len(loads)} / {average}")
    if summary.profitability:
        projects = summary.profitability.projects
        add("projects with activity / at a loss",
            f"{len(projects)} / {sum(1 for p in projects if p.margin < 0)}")  # fmt: skip
    return rows


@analytics_app.command("summary")
def summary_command(start: Start = None, end: End = None) -> None:
    """Print the director's summary as a table."""
    settings = settings_or_exit()
    engine = create_db_engine(settings.database)
    params = service.make_params(
        settings, start=start.date() if start else None, end=end.date() if end else None
    )
    with session_factory(engine)() as session:
        result = service.build_summary(session, params, settings, service.allowed_sections(session))
    engine.dispose()
    table = Table(title=f"{settings.company.name}: {params.period.start} - {params.period.end}")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for label, value in _summary_rows(result):
        table.add_row(label, value)
    console = Console()
    console.print(table)
    console.print(text.render_summary(result))


@analytics_app.command("chart")
def chart_command(
    name: Annotated[str, typer.Argument(help=", ".join(sorted(service.CHART_KPIS)))],
    out: Annotated[Path, typer.Option("--out", help="PNG file to write")],
    start: Start = None,
    end: End = None,
) -> None:
    """Draw chart NAME of the period into a PNG file."""
    if name not in service.CHART_KPIS:
        typer.echo(
            f"error: unknown chart {name!r}; charts: {', '.join(sorted(service.CHART_KPIS))}",
            err=True,
        )
        raise typer.Exit(2)
    from oversight.analytics import charts

    settings = settings_or_exit()
    engine = create_db_engine(settings.database)
    params = service.make_params(
        settings, start=start.date() if start else None, end=end.date() if end else None
    )
    with session_factory(engine)() as session:
        data = service.get_kpi(
            session,
            service.CHART_KPIS[name].name,
            params,
            settings=settings,
            cache=MemoryCache(ttl_seconds=1, max_entries=16),
        )
    engine.dispose()
    out.write_bytes(charts.render(name, data))
    typer.echo(f"{out} written ({name}, {params.period.start}..{params.period.end})")
