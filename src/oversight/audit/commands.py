"""`oversight audit ...`: verify, head, export, archive, purge-archives."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from oversight.audit import service as audit_service
from oversight.audit.export import ExportFormat
from oversight.audit.repository import AuditFilters
from oversight.config import Settings
from oversight.config.cli import settings_or_exit
from oversight.context import RequestContext, bound_context
from oversight.db.session import create_db_engine, session_factory, unit_of_work

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail: verify, export, archive.")
console = Console()


def _units_of_work(command: str) -> tuple[Settings, sessionmaker[Session], RequestContext]:
    """Settings, a session factory and the CLI's request context for `command`."""
    settings = settings_or_exit()
    factory = session_factory(create_db_engine(settings.database))
    return settings, factory, RequestContext(origin=f"cli:audit {command}")


@audit_app.command("verify")
def verify(
    archives: Annotated[
        Path | None, typer.Option(help="archive folder (default: audit.archive_dir)")
    ] = None,
    expect_head: Annotated[
        str | None, typer.Option(help="the head hash you kept elsewhere; must still be there")
    ] = None,
) -> None:
    """Walk the chain (archives, then the table); exit 1 at the first broken link."""
    settings, factory, context = _units_of_work("verify")
    with bound_context(context), unit_of_work(factory) as session:
        result = audit_service.verify(session, archives or settings.audit.archive_dir)
    if result.broken is not None:
        typer.echo(f"BROKEN after {result.events_checked} good events: {result.broken.describe()}")
        raise typer.Exit(1)
    if expect_head is not None and expect_head != result.last_hash:
        typer.echo(
            f"BROKEN: the chain no longer ends at {expect_head}; it ends at {result.last_hash}"
        )
        raise typer.Exit(1)
    typer.echo(
        f"OK: {result.events_checked} events verified; head {result.last_id} {result.last_hash}"
    )


@audit_app.command("head")
def head() -> None:
    """Print the chain head (keep it somewhere else: it proves the trail was not cut short)."""
    _, factory, context = _units_of_work("head")
    with bound_context(context), unit_of_work(factory) as session:
        current = audit_service.head(session)
    typer.echo(f"{current.last_id} {current.last_hash}")


@audit_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="file to write")],
    format: Annotated[ExportFormat, typer.Option(help="csv or jsonl")] = ExportFormat.jsonl,
    action: Annotated[str | None, typer.Option()] = None,
    entity_type: Annotated[str | None, typer.Option()] = None,
    entity_id: Annotated[str | None, typer.Option()] = None,
    actor_id: Annotated[int | None, typer.Option()] = None,
    since: Annotated[datetime | None, typer.Option(help="from this UTC time")] = None,
    until: Annotated[datetime | None, typer.Option(help="before this UTC time")] = None,
) -> None:
    """Stream matching events to a file; the export is itself recorded in the trail."""
    _, factory, context = _units_of_work("export")
    filters = AuditFilters(
        action=action, entity_type=entity_type, entity_id=entity_id, actor_id=actor_id,
        occurred_from=since, occurred_to=until,
    )  # fmt: skip
    written = 0
    with bound_context(context), unit_of_work(factory) as session, out.open("w") as stream:
        for chunk in audit_service.export(session, filters, format, destination=str(out)):
            stream.write(chunk)
            written += len(chunk)
    typer.echo(f"wrote {written:,} characters to {out}")


@audit_app.command("archive")
def archive(
    before: Annotated[
        datetime, typer.Option(formats=["%Y-%m-%d"], help="move events older than this date")
    ],
    out: Annotated[
        Path | None, typer.Option(help="archive folder (default: audit.archive_dir)")
    ] = None,
) -> None:
    """Move old events into monthly .jsonl.gz files; `audit verify` still walks them."""
    settings, factory, context = _units_of_work("archive")
    directory = out or settings.audit.archive_dir
    with bound_context(context), unit_of_work(factory) as session:
        result = audit_service.archive(session, before.date(), directory)
    if result is None:
        typer.echo(f"nothing to archive before {before.date()}")
        return
    typer.echo(
        f"archived events {result.first_id}..{result.last_id} ({result.count:,}) into "
        + ", ".join(path.name for path in result.files)
    )


@audit_app.command("purge-archives")
def purge_archives(
    confirm: Annotated[bool, typer.Option("--confirm", help="really delete the files")] = False,
    archives: Annotated[Path | None, typer.Option(help="archive folder")] = None,
) -> None:
    """Delete archive files older than the retention period (audit.retention_years)."""
    settings, factory, context = _units_of_work("purge-archives")
    if not confirm:
        typer.echo("refusing to delete archives without --confirm", err=True)
        raise typer.Exit(2)
    today = date.today()
    older_than = today.replace(year=today.year - settings.audit.retention_years)
    with bound_context(context), unit_of_work(factory) as session:
        result = audit_service.purge_archives(
            session, archives or settings.audit.archive_dir, older_than=older_than
        )
    typer.echo(f"removed {len(result.removed)} archive files older than {older_than}")
