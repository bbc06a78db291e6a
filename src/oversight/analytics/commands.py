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

from oversight.analytics import service, text
from oversight.analytics.cache import MemoryCache
from oversight.analytics.kpis import CHART_KPIS
from oversight.analytics.params import KpiParams
from oversight.config import Settings
from oversight.config.cli import fail, settings_or_exit
from oversight.db.session import open_database, session_factory

analytics_app = typer.Typer(no_args_is_help=True, help="KPI analytics.")

Start = Annotated[
    datetime | None, typer.Option(formats=["%Y-%m-%d"], help="first day (default: month start)")
]
End = Annotated[
    datetime | None,
    typer.Option(formats=["%Y-%m-%d"], help="last day, included (default: today)"),
]
ToDate = Annotated[
    bool, typer.Option("--to-date", help="margins: everything up to END, not the period alone")
]


def _params(
    settings: Settings, start: datetime | None, end: datetime | None, *, to_date: bool = False
) -> KpiParams:
    """The period's parameters; a reversed or too long period is one line and exit 2."""
    try:
        return service.make_params(
            settings,
            start=start.date() if start else None,
            end=end.date() if end else None,
            to_date=to_date,
        )
    except ValueError as error:
        fail(str(error), code=2)


@analytics_app.command("summary")
def summary_command(start: Start = None, end: End = None) -> None:
    """Print the director's summary as a table."""
    settings = settings_or_exit()
    params = _params(settings, start, end)
    engine = open_database(settings)
    with session_factory(engine)() as session:
        result = service.build_summary(session, params, settings, service.allowed_sections(session))
    engine.dispose()
    table = Table(title=f"{settings.company.name}: {params.period.start} - {params.period.end}")
    table.add_column("KPI")
    table.add_column("value", justify="right")
    for label, value in text.summary_rows(result):
        table.add_row(label, value)
    console = Console()
    console.print(table)
    console.print(text.render_summary(result))


@analytics_app.command("chart")
def chart_command(
    name: Annotated[str, typer.Argument(help=", ".join(sorted(CHART_KPIS)))],
    out: Annotated[Path, typer.Option("--out", help="PNG file to write")],
    start: Start = None,
    end: End = None,
    to_date: ToDate = False,
) -> None:
    """Draw chart NAME of the period into a PNG file."""
    if name not in CHART_KPIS:
        typer.echo(
            f"error: unknown chart {name!r}; charts: {', '.join(sorted(CHART_KPIS))}",
            err=True,
        )
        raise typer.Exit(2)
    from oversight.analytics import charts

    if to_date and not CHART_KPIS[name].to_date:
        fail(f"--to-date applies only to the margins chart, not to {name!r}", code=2)
    settings = settings_or_exit()
    params = _params(settings, start, end, to_date=to_date)
    engine = open_database(settings)
    with session_factory(engine)() as session:
        data = service.get_kpi(
            session,
            CHART_KPIS[name].name,
            params,
            settings=settings,
            cache=MemoryCache(ttl_seconds=1, max_entries=16),
        )
    engine.dispose()
    out.write_bytes(charts.render(name, data))
    typer.echo(f"{out} written ({name}, {params.period.start}..{params.period.end})")
