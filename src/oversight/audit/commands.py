"""`oversight audit ...`: verify, head, export, archive, purge-archives."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from sqlalchemy.orm import Session, sessionmaker

from oversight.audit import checkpoints
from oversight.audit import service as audit_service
from oversight.audit.checkpoints import Checkpoint
from oversight.audit.export import ExportFormat
from oversight.audit.repository import AuditFilters
from oversight.audit.tasks import known_checkpoints
from oversight.audit.verification import locate
from oversight.config import Settings
from oversight.config.cli import folder_or_exit, settings_or_exit
from oversight.context import RequestContext, bound_context
from oversight.db.session import open_database, session_factory, unit_of_work

audit_app = typer.Typer(no_args_is_help=True, help="The audit trail: verify, export, archive.")
console = Console()


def _units_of_work(command: str) -> tuple[Settings, sessionmaker[Session], RequestContext]:
    """Settings, a session factory and the CLI's request context for `command`."""
    settings = settings_or_exit()
    factory = session_factory(open_database(settings))
    return settings, factory, RequestContext(origin=f"cli:audit {command}")


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=code == 2)
    raise typer.Exit(code)


def _known_checkpoints(settings: Settings, extra_files: list[Path]) -> list[Checkpoint]:
    try:
        known = known_checkpoints(settings)
        for path in extra_files:
            if not path.is_file():
                _fail(f"no checkpoint file {path}", 2)
            known += checkpoints.read_file(path)
    except checkpoints.CheckpointLocationError as error:
        _fail(str(error), 2)
    except checkpoints.CheckpointError as error:
        _fail(f"BROKEN: a checkpoint cannot be read: {error}")
    return known


@audit_app.command("verify")
def verify(
    archives: Annotated[
        Path | None,
        typer.Option(
            exists=True, file_okay=False, help="archive folder (default: audit.archive_dir)"
        ),
    ] = None,
    checkpoint_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--checkpoints",
            help="more checkpoint files (JSON lines) to check, e.g. copies kept elsewhere",
        ),
    ] = None,
    expect_head: Annotated[
        str | None,
        typer.Option(
            help="a head you kept elsewhere (`audit head`: POSITION HASH, or HASH alone); "
            "the chain must still pass through it"
        ),
    ] = None,
) -> None:
    """Walk the chain (archives, then the table) through every known checkpoint; exit 1 at
    the first broken link. Never writes into the chain unless it is intact."""
    settings, factory, context = _units_of_work("verify")
    archive_dir = archives or settings.audit.archive_dir
    known = _known_checkpoints(settings, checkpoint_files or [])
    expected: tuple[int | None, str] | None = None
    if expect_head is not None:
        try:
            expected = checkpoints.parse_expected_head(expect_head)
        except checkpoints.CheckpointError as error:
            _fail(str(error), 2)
    with bound_context(context), unit_of_work(factory) as session:
        if expected is not None:
            position, digest = expected
            if position is None:
                located = locate(session.connection(), digest, archive_dir)
                if located is None:
                    _fail(f"BROKEN: no event of the chain has the expected head {digest}")
                position = located.last_id
            known.append(Checkpoint(position, digest))
        result = audit_service.verify(session, archive_dir, checkpoints=known)
    if result.broken is not None:
        _fail(f"BROKEN after {result.events_checked} good events: {result.broken.describe()}")
    typer.echo(
        f"OK: {result.events_checked} events verified; head {result.last_id} {result.last_hash}; "
        f"passes through {result.checkpoints_checked} of {len(known)} checkpoints"
    )


@audit_app.command("head")
def head() -> None:
    """Print the chain head as POSITION HASH (keep it elsewhere: `verify --expect-head`)."""
    _, factory, context = _units_of_work("head")
    with bound_context(context), unit_of_work(factory) as session:
        current = audit_service.head(session)
    typer.echo(f"{current.last_id} {current.last_hash}")


@audit_app.command("checkpoint")
def checkpoint() -> None:
    """Verify since the last checkpoint and publish the head now (what the
    `audit_checkpoint` job does on its schedule)."""
    settings, factory, context = _units_of_work("checkpoint")
    known = _known_checkpoints(settings, [])
    try:
        targets = checkpoints.publishers(settings)
    except checkpoints.CheckpointError as error:
        _fail(str(error), 2)
    if not targets:
        _fail("no checkpoint publisher is configured (OVERSIGHT_AUDIT__CHECKPOINT_FILE)", 2)
    with bound_context(context), unit_of_work(factory) as session:
        run = audit_service.publish_checkpoint(
            session, known=known, publishers=targets, archive_dir=settings.audit.archive_dir
        )
    if run.verification.broken is not None:
        _fail(f"BROKEN, no checkpoint published: {run.verification.broken.describe()}")
    if run.published is None:
        typer.echo("the chain has not moved since the last checkpoint; nothing published")
        return
    published = run.published
    typer.echo(
        f"published checkpoint {published.position} {published.hash} to "
        + ", ".join(target.name for target in targets)
    )


@audit_app.command("export")
def export(
    out: Annotated[Path, typer.Option(help="file to write")],
    format: Annotated[ExportFormat, typer.Option(help="csv or jsonl")] = ExportFormat.jsonl,
    action: Annotated[str | None, typer.Option()] = None,
    entity_type: Annotated[str | None, typer.Option()] = None,
    entity_id: Annotated[str | None, typer.Option()] = None,
    actor_id: Annotated[int | None, typer.Option(min=1)] = None,
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
    # newline="": the CSV writer ends rows itself, and a CR inside a cell must stay a CR.
    target = out.open("w", encoding="utf-8", newline="")
    with bound_context(context), unit_of_work(factory) as session, target as stream:
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
    if out is not None:
        folder_or_exit(out, "--out")
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


@audit_app.command("quarantine-tail")
def quarantine_tail(
    confirm: Annotated[bool, typer.Option("--confirm", help="really move the rows")] = False,
    out: Annotated[
        Path | None, typer.Option(help="evidence folder (default: <archive_dir>/quarantine)")
    ] = None,
) -> None:
    """Move rows past the recorded chain head (written around the application; every write
    answers 503 while they exist) into an evidence file, so the chain accepts appends again."""
    if out is not None:
        folder_or_exit(out, "--out")
    settings, factory, context = _units_of_work("quarantine-tail")
    if not confirm:
        _fail("refusing to move audit rows without --confirm (read OPERATIONS.md first)", 2)
    directory = out or settings.audit.archive_dir / "quarantine"
    with bound_context(context), unit_of_work(factory) as session:
        result = audit_service.quarantine_tail(session, directory)
    if result is None:
        typer.echo("no rows past the recorded chain head; nothing moved")
        return
    typer.echo(
        f"moved events {result.first_id}..{result.last_id} ({result.count}) past the head "
        f"into {result.path}; keep that file as evidence"
    )


@audit_app.command("purge-archives")
def purge_archives(
    confirm: Annotated[bool, typer.Option("--confirm", help="really delete the files")] = False,
    archives: Annotated[
        Path | None, typer.Option(exists=True, file_okay=False, help="archive folder")
    ] = None,
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
