"""The bot application: python-telegram-bot's `Application` with every command of
`HANDLER_MODULES`, pointed at the configured Bot API (`OVERSIGHT_TELEGRAM__API_BASE_URL`).

To add a feature, add a module to `handlers/` exporting `COMMANDS` (and `BUTTONS` for inline
buttons) and list it in `HANDLER_MODULES`: /help, the permission check, the audit event, the
rate limit and the error handling come with it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from types import ModuleType
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from oversight.analytics.cache import make_cache
from oversight.config import Settings
from oversight.security.rate_limiter import RateLimiter
from oversight.telegram.buttons import run_button
from oversight.telegram.handlers import alerts, backups, charts, files, kpis, language, start
from oversight.telegram.handlers import linking as linking_handlers
from oversight.telegram.i18n import LANGUAGES, wording
from oversight.telegram.runtime import (
    DEPS,
    BotDeps,
    Button,
    Call,
    Command,
    Refusal,
    Reply,
    _,
    logger,
    run_command,
)

HANDLER_MODULES: tuple[ModuleType, ...] = (
    start,
    linking_handlers,
    kpis,
    charts,
    alerts,
    backups,
    files,
    language,
)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]


class BotNotConfigured(Exception):
    """No bot token: set OVERSIGHT_TELEGRAM__BOT_TOKEN."""


def _unknown(call: Call) -> Reply:
    raise Refusal(call.t("Unknown command. /help lists what you can do."), outcome="unknown")


UNKNOWN = Command("unknown", _("/help"), _("this list"), _unknown)


def all_commands(modules: Sequence[ModuleType] = HANDLER_MODULES) -> tuple[Command, ...]:
    return tuple(command for module in modules for command in module.COMMANDS)


def all_buttons(modules: Sequence[ModuleType] = HANDLER_MODULES) -> tuple[Button, ...]:
    return tuple(button for module in modules for button in getattr(module, "BUTTONS", ()))


def make_deps(settings: Settings, session_scope: Any, **overrides: Any) -> BotDeps:
    """The handlers' dependencies from the settings: KPI cache, rate limiter, commands."""
    values: dict[str, Any] = {
        "settings": settings,
        "session_scope": session_scope,
        "cache": make_cache(settings.analytics),
        "limiter": RateLimiter(
            settings.rate_limit_redis_url,
            timeout_seconds=settings.ratelimit.timeout_seconds,
            breaker_seconds=settings.ratelimit.breaker_seconds,
        ),
        "commands": all_commands(),
    }
    return BotDeps(**(values | overrides))


def _command_handler(command: Command) -> Handler:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await run_command(update, context, command)

    return handle


def _button_handler(button: Button) -> Handler:
    async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await run_button(update, context, button)

    return handle


async def publish_menu(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Tell Telegram the command menu, in each language (`setMyCommands`); a failure is logged
    and the bot runs without a menu. Run by `run_polling` before the first update."""
    from telegram import BotCommand

    deps: BotDeps = application.bot_data[DEPS]
    for lang in LANGUAGES:
        words = wording(lang)
        menu = [BotCommand(c.name, words.gettext(c.description)) for c in deps.commands]
        code = None if lang == deps.settings.telegram.default_language.value else lang
        try:
            await application.bot.set_my_commands(menu, language_code=code)
        except TelegramError as error:
            logger.warning("bot: the command menu was not set (%s)", type(error).__name__)


async def _log_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # Errors outside a handler's own guard: the Bot API unreachable, a reply that failed.
    logger.error("bot update failed: %s", type(context.error).__name__)


def build_application(
    deps: BotDeps, *, buttons: Sequence[Button] | None = None
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The bot with `deps.commands` and `buttons` (default: every module's), not started."""
    token = deps.settings.telegram.bot_token
    if token is None:
        raise BotNotConfigured("no bot token: set OVERSIGHT_TELEGRAM__BOT_TOKEN")
    application = (
        ApplicationBuilder()
        .token(token.get_secret_value())
        .base_url(deps.settings.telegram.base_url)
        .base_file_url(deps.settings.telegram.base_file_url)
        .post_init(publish_menu)
        .build()
    )
    application.bot_data[DEPS] = deps
    # Private chats only: a command in a group would show the figures to the whole group.
    # New messages only: editing an old command does not run it again.
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    for command in deps.commands:
        application.add_handler(
            CommandHandler(command.name, _command_handler(command), filters=private)
        )
    for button in all_buttons() if buttons is None else buttons:
        application.add_handler(CallbackQueryHandler(_button_handler(button), button.pattern))
    # Anything else a person sends: an unknown command, or plain text.
    application.add_handler(MessageHandler(private, _command_handler(UNKNOWN)))
    application.add_error_handler(_log_error)
    return application
