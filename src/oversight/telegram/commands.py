"""`oversight bot`: run the Telegram bot by long polling."""

from __future__ import annotations

import typer

from oversight.config import BotMode, SettingsError, get_settings
from oversight.observability.logging import configure_logging
from oversight.telegram.bot import BotNotConfigured, build_application, make_deps
from oversight.telegram.database import open_database, units_of_work


def run_bot() -> None:
    """Answer Telegram commands (long polling) until interrupted."""
    try:
        settings = get_settings()
    except SettingsError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    if settings.telegram.mode is BotMode.webhook:
        typer.echo(
            "error: OVERSIGHT_TELEGRAM__MODE is webhook: the API receives the updates "
            "(POST /api/v1/telegram/webhook); `oversight bot` only polls",
            err=True,
        )
        raise typer.Exit(2)
    configure_logging(settings.observability)
    engine = open_database(settings)
    try:
        application = build_application(make_deps(settings, units_of_work(engine)))
    except BotNotConfigured as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        application.run_polling(drop_pending_updates=False)
    finally:
        engine.dispose()
