"""`oversight storage …`: list the watched paths now, and the trend of their snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from oversight.backup import storage_monitor
from oversight.config.cli import fail, settings_or_exit
from oversight.db.session import open_database, session_factory, unit_of_work
from oversight.kit.clock import utcnow
from oversight.storage_monitor.models import StorageSnapshot

storage_app = typer.Typer(
    no_args_is_help=True, help="Remote storage monitor: scan the watched paths, show the trend."
)
console = Console(width=140)
_UNITS = ("B", "KB", "MB", "GB", "TB", "PB")


def human_bytes(count: int) -> str:
    """`1234567` -> `1.2 MB` (powers of 1000, like `df -H`)."""
    value, unit = float(abs(count)), 0
    while value >= 1000 and unit < len(_UNITS) - 1:
        value, unit = value / 1000, unit + 1
    sign = "-" if count < 0 else ""
    return f"{sign}{value:.0f} {_UNITS[unit]}" if unit == 0 else f"{sign}{value:.1f} {_UNITS[unit]}"


def _delta(now: int, before: int | None, render: type[str] | None = None) -> str:
    if before is None:
        return ""
    change = now - before
    if change == 0:
        return "="
    text = human_bytes(change) if render is None else f"{change:,}"
    return text if change < 0 else f"+{text}"


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


@storage_app.command("scan")
def scan_storage() -> None:
    """List every watched path now and store today's snapshot."""
    settings = settings_or_exit()
    engine = open_database(settings)
    try:
        with unit_of_work(session_factory(engine)) as session:
            results = storage_monitor.scan(session, settings)
    finally:
        engine.dispose()
    failed = [result for result in results if result.listing is None]
    for result in results:
        if result.listing is not None:
            typer.echo(
                f"{result.path}: {result.listing.files:,} files, "
                f"{human_bytes(result.listing.bytes)}"
            )
    if failed:
        fail("\n".join(f"{result.path}: {result.error}" for result in failed))


@storage_app.command("report")
def storage_report(
    days: Annotated[
        int | None, typer.Option("--days", min=1, max=366, help="days shown (default: setting)")
    ] = None,
    path: Annotated[str | None, typer.Option("--path", help="only this watched path")] = None,
) -> None:
    """The trend per watched path: files, size and their daily change, backlog, newest and
    oldest file, for the last N days."""
    settings = settings_or_exit()
    shown = days or settings.storage_monitor.report_days
    today = utcnow().astimezone(settings.company.calendar.timezone).date()
    engine = open_database(settings)
    try:
        with unit_of_work(session_factory(engine)) as session:
            found = storage_monitor.trend(session, days=shown, today=today, path=path)
            tables = [_table(name, rows, shown) for name, rows in found.items()]
    finally:
        engine.dispose()
    if not tables:
        what = f"path {path!r}" if path else "any path"
        fail(f"no snapshot of {what} in the last {shown} days (run `oversight storage scan`)")
    for table in tables:
        console.print(table)


def _table(name: str, rows: list[StorageSnapshot], days: int) -> Table:
    table = Table(title=f"{name} — last {days} days", title_justify="left")
    table.add_column("day", no_wrap=True)
    table.add_column("files", justify="right")
    table.add_column("Δ files", justify="right")
    table.add_column("size", justify="right")
    table.add_column("Δ size", justify="right")
    table.add_column("backlog", justify="right")
    table.add_column("newest file (UTC)", overflow="fold")
    table.add_column("oldest file (UTC)", overflow="fold")
    table.add_column("folders", overflow="fold")
    before: StorageSnapshot | None = None
    for row in rows:
        folders = ", ".join(f"{folder} {count}" for folder, count in row.folders.items())
        table.add_row(
            f"{row.day:%Y-%m-%d}",
            f"{row.files:,}",
            _delta(row.files, before.files if before else None, str),
            human_bytes(row.bytes),
            _delta(row.bytes, before.bytes if before else None),
            "-" if row.backlog_files is None else f"{row.backlog_files:,}",
            f"{_when(row.newest_at)} {row.newest_name or ''}".strip(),
            f"{_when(row.oldest_at)} {row.oldest_name or ''}".strip(),
            folders or "-",
        )
        before = row
    return table
