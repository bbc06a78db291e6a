"""`oversight backup …` and `oversight restore`: one line on failure, non-zero exit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, inspect

from oversight.backup import drill, service
from oversight.backup.crypto import read_identities
from oversight.backup.database import open_database
from oversight.backup.errors import BackupError
from oversight.backup.manifest import find
from oversight.backup.verify import Outcome
from oversight.config import Settings, SettingsError, get_settings
from oversight.config.cli import folder_or_exit
from oversight.db.session import open_database as open_app_database
from oversight.db.session import session_factory, unit_of_work
from oversight.storage import StorageError, open_storage

backup_app = typer.Typer(
    no_args_is_help=True, help="Encrypted backups: run, list, verify, prune, drill."
)
console = Console()
IdentityOption = Annotated[
    Path, typer.Option("--identity", help="age identity file (AGE-SECRET-KEY-…); kept offline")
]


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        _fail(str(error).splitlines()[0], 2)


@backup_app.command("run")
def run_backup(
    no_prune: Annotated[bool, typer.Option("--no-prune", help="do not apply retention")] = False,
) -> None:
    """Back up the database, the files and the extra paths now."""
    settings = _settings()
    engine = open_app_database(settings)
    try:
        with unit_of_work(session_factory(engine)) as session:
            outcome = service.run(session, settings, prune=not no_prune)
    except BackupError as error:
        _fail(str(error))
    finally:
        engine.dispose()
    manifest = outcome.manifest
    console.print(
        f"backup {manifest.id}: {manifest.ciphertext_size:,} bytes, "
        f"{manifest.files} files, {outcome.duration_seconds:.1f} s"
    )


@backup_app.command("archive")
def archive_now() -> None:
    """Ship old log files and new audit archives, encrypted, to the backup storage now, and
    delete archives past their retention (what the monthly job does)."""
    from oversight.backup import archiving

    settings = _settings()
    engine = open_app_database(settings)
    try:
        with unit_of_work(session_factory(engine)) as session:
            report = archiving.run_archives(session, settings)
    except BackupError as error:
        _fail(str(error))
    finally:
        engine.dispose()
    for kind, index in (("logs", report.logs), ("audit", report.audit)):
        if index is None:
            typer.echo(f"{kind}: nothing to ship")
        else:
            typer.echo(
                f"{kind}: shipped {len(index.members)} file(s) to {index.object} "
                f"({index.ciphertext_size:,} bytes)"
            )
    if report.logs_removed_locally:
        typer.echo(f"removed {len(report.logs_removed_locally)} shipped log file(s) here")
    for name in report.expired:
        typer.echo(f"expired {name}")


@backup_app.command("list")
def list_backups(
    all_objects: Annotated[
        bool, typer.Option("--all", help="also show what is not a backup")
    ] = False,
    ids: Annotated[bool, typer.Option("--ids", help="only the ids, one a line")] = False,
) -> None:
    """The verified backups of this set, oldest first."""
    settings = _settings()
    engine = open_app_database(settings)
    try:
        entries = service.verified_manifests(settings, engine)
    except StorageError as error:
        _fail(str(error))
    finally:
        engine.dispose()
    if ids:
        for entry in entries:
            if entry.manifest is not None:
                typer.echo(entry.id)
        return
    table = Table()
    table.add_column("id", no_wrap=True)
    table.add_column("created (UTC)", no_wrap=True)
    table.add_column("engine", no_wrap=True)
    table.add_column("rev", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("status")
    for entry in entries:
        m = entry.manifest
        if m is not None:
            created = f"{m.created_at:%Y-%m-%d %H:%M}"
            size = f"{m.ciphertext_size:,}"
            table.add_row(m.id, created, m.engine, m.alembic_revision or "-", size, "ok")
    console.print(table)
    if all_objects:
        for entry in entries:
            if entry.manifest is None:
                typer.echo(f"ignored {entry.id}: {entry.problem}")


@backup_app.command("verify")
def verify_backup(backup_id: str, identity: IdentityOption) -> None:
    """Download, compare, decrypt and check one backup (ok, file_missing, checksum_mismatch,
    size_invalid, other_error)."""
    settings = _settings()
    try:
        identities = read_identities(identity)
    except BackupError as error:
        _fail(str(error), 2)
    engine = open_app_database(settings)
    try:
        if not _has_schema(engine):  # a new server before its restore: nothing to audit into
            report = service.verify(None, settings, engine, backup_id, identities)
        else:
            with unit_of_work(session_factory(engine)) as session:
                report = service.verify(session, settings, engine, backup_id, identities)
    finally:
        engine.dispose()
    if report.outcome is not Outcome.ok:
        _fail(f"backup {backup_id}: {report.detail}")
    console.print(f"backup {backup_id}: ok")


def _record_restore_failure(settings: Settings, error: Exception, backup_id: str) -> None:
    """Log and count the failure, and audit it in this server's database when it has one
    (a new server restoring into its own empty database has nowhere to audit yet)."""
    engine = open_app_database(settings)
    try:
        if _has_schema(engine):
            with unit_of_work(session_factory(engine)) as session:
                service.record_failure("restore", error, session=session, backup=backup_id)
                return
        service.record_failure("restore", error, backup=backup_id)
    finally:
        engine.dispose()


def _has_schema(engine: Engine) -> bool:
    with engine.connect() as connection:
        return "audit_events" in inspect(connection).get_table_names()


@backup_app.command("prune")
def prune_backups(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the plan, delete nothing")
    ] = False,
) -> None:
    """Apply retention (daily/weekly/monthly); print what is kept and why."""
    settings = _settings()
    engine = open_app_database(settings)
    try:
        with unit_of_work(session_factory(engine)) as session:
            plan = service.apply_retention(session, settings, engine, dry_run=dry_run)
    except (BackupError, StorageError) as error:
        _fail(str(error))
    finally:
        engine.dispose()
    for backup_id in sorted(set(plan.keep) | set(plan.remove), reverse=True):
        if backup_id in plan.keep:
            typer.echo(f"keep   {backup_id}  {', '.join(plan.keep[backup_id])}")
        else:
            verb = "would remove" if dry_run else "removed"
            typer.echo(f"{verb} {backup_id}  {plan.remove[backup_id]}")


@backup_app.command("drill")
def drill_backup(identity: IdentityOption) -> None:
    """Restore the newest backup into a scratch database and check it; record the result."""
    settings = _settings()
    try:
        identities = read_identities(identity)
    except BackupError as error:
        _fail(str(error), 2)
    engine = open_app_database(settings)
    try:
        with unit_of_work(session_factory(engine)) as session:
            report = drill.drill(session, settings, engine, identities)
    except BackupError as error:
        _fail(str(error))
    finally:
        engine.dispose()
    console.print(f"drill of {report.backup_id}: ok ({report.detail}, {report.seconds:.1f} s)")


def restore_command(
    backup_id: str,
    identity: IdentityOption,
    database: Annotated[str, typer.Option("--database", help="target database URL")],
    files: Annotated[Path | None, typer.Option("--files", help="restore the files here")] = None,
    force: Annotated[bool, typer.Option("--force", help="replace a non-empty target")] = False,
    backup_set: Annotated[
        str | None, typer.Option("--set", help="backup set (default: this server's)")
    ] = None,
) -> None:
    """Restore backup ID into DATABASE (empty unless --force) and FILES."""
    settings = _settings()
    if files is not None:
        folder_or_exit(files, "--files")  # found out now, not after the database is restored
    try:
        identities = read_identities(identity)
        target = open_database(database)
    except BackupError as error:
        _fail(str(error), 2)
    except Exception as error:
        _fail(f"--database: {error}", 2)
    try:
        the_set = backup_set or service.set_name(settings, open_app_database(settings))
        with open_storage(settings.backup.target) as storage:
            manifest = find(storage, the_set, backup_id)
            report = service.restore_backup(
                settings=settings,
                manifest=manifest,
                storage=storage,
                identities=identities,
                target=target,
                files_dir=files,
                force=force,
            )
    except (BackupError, StorageError) as error:
        _record_restore_failure(settings, error, backup_id)
        _fail(str(error))
    finally:
        target.dispose()
    migrated = (
        f", migrated {report.migrated_from} -> {report.migrated_to}" if report.migrated_to else ""
    )
    console.print(
        f"restored {report.backup_id}: {report.tables} tables, {report.rows} rows, "
        f"{report.audit_events} audit events verified, {report.files} files{migrated}"
    )
