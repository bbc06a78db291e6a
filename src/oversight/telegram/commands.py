"""`oversight bot` (the Telegram bot by long polling), and the Telegram parts of
`oversight users`: `link-code` and `unlink-telegram` (mounted on `users` by `oversight.cli`)."""

from __future__ import annotations

import typer

from oversight.auth.repository import find_by_username
from oversight.config import BotMode, SettingsError, get_settings
from oversight.config.cli import fail, settings_or_exit
from oversight.db.session import session_factory, unit_of_work
from oversight.errors import AppError
from oversight.observability.logging import configure_logging
from oversight.telegram import linking
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


def link_code(username: str) -> None:
    """Make a one-time code that links a Telegram account to this user (`/link CODE` in the
    bot); it replaces the user's earlier code and expires after
    OVERSIGHT_TELEGRAM__LINK_CODE_MINUTES."""
    settings = settings_or_exit()
    try:
        with unit_of_work(session_factory(open_database(settings))) as session:
            user = find_by_username(session, username)
            if user is None:
                fail(f"no user named {username!r}")
            issued = linking.create_link_code(session=session, settings=settings, user=user)
    except AppError as error:
        fail(error.message, code=2)
    typer.echo(
        f"{issued.code}  (send `/link {issued.code}` to the bot before "
        f"{issued.expires_at:%Y-%m-%d %H:%M} UTC)"
    )


def unlink_telegram(username: str) -> None:
    """Unlink the user's Telegram account (a lost phone)."""
    settings = settings_or_exit()
    with unit_of_work(session_factory(open_database(settings))) as session:
        user = find_by_username(session, username)
        if user is None:
            fail(f"no user named {username!r}")
        unlinked = linking.unlink_user(session=session, user=user)
    typer.echo(f"{username}: Telegram unlinked" if unlinked else f"{username}: no Telegram linked")
