"""`oversight keys ...`: generate a key, show rows per key id, rotate onto the active key."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from oversight.config import Settings, SettingsError, get_settings
from oversight.db.session import session_factory
from oversight.encryption import rotation
from oversight.kit.context import RequestContext, bound_context
from oversight.security.fieldcrypt import KEY_ID_PATTERN, generate_key
from oversight.wiring import open_database

keys_app = typer.Typer(no_args_is_help=True, help="Field encryption keys: status and rotation.")
console = Console()


def _settings() -> Settings:
    try:
        return get_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


@keys_app.command("generate")
def generate(
    key_id: Annotated[
        str, typer.Option(help="the new key's id (1-32 of A-Z a-z 0-9 _ . -)")
    ] = "k1",
) -> None:
    """Print a new random key as `key_id:base64key` (for the keys setting or a key file)."""
    if not KEY_ID_PATTERN.match(key_id):
        typer.echo("error: --key-id must be 1-32 of A-Z a-z 0-9 _ . -", err=True)
        raise typer.Exit(2)
    typer.echo(f"{key_id}:{generate_key()}")


@keys_app.command("status")
def status() -> None:
    """Rows of each encrypted table per key id; exit 1 while any row is not on the active key."""
    settings = _settings()
    keyring = settings.encryption.keyring
    engine = open_database(settings)
    with engine.connect() as connection:
        counts = rotation.rows_per_key(connection)
    table = Table("table", "key id", "rows", "")
    pending = False
    for name, per_key in counts.items():
        for key_id, rows in per_key.items():
            if key_id == keyring.active_key_id:
                note = "active"
            elif key_id is None:
                note = "nothing sealed yet"
                pending = True
            elif keyring.has_key(key_id):
                note = "to rotate"
                pending = True
            else:
                note = "KEY NOT CONFIGURED: these rows cannot be read"
                pending = True
            table.add_row(name, key_id or "-", str(rows), note)
    console.print(table)
    console.print(f"active key: {keyring.active_key_id}; configured: {', '.join(keyring.key_ids)}")
    engine.dispose()
    if pending:
        raise typer.Exit(1)


@keys_app.command("rotate")
def rotate(
    batch_size: Annotated[int, typer.Option(min=1, max=100_000, help="rows per transaction")] = (
        rotation.BATCH_SIZE
    ),
) -> None:
    """Re-encrypt every encrypted row and recompute its blind indexes with the active key.

    Resumable: after an interruption, run it again. Keep the old key configured until
    `oversight keys status` shows no row on it.
    """
    settings = _settings()
    keyring = settings.encryption.keyring
    engine = open_database(settings)

    def report(table: str, done: int, left: int) -> None:
        console.print(f"{table}: {done} rows re-sealed, {left} left")

    with bound_context(RequestContext(origin="cli:keys rotate")):
        try:
            done = rotation.rotate(
                session_factory(engine), keyring, batch_size=batch_size, on_batch=report
            )
        except (rotation.RotationStalled, rotation.UndecryptableField) as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(1) from None
        finally:
            engine.dispose()
    total = sum(done.values())
    console.print(f"done: {total} rows now on key {keyring.active_key_id}")
