"""How one update becomes one answer: rate limit, the linked user's principal, permission,
the handler in a worker thread with its own unit of work, the audit event, and the errors.

A handler is a plain function `(Call) -> Reply` run in a thread (the database layer is sync);
it reads through services and never holds SQL. What it raises decides the answer:
`Refusal` (bad input, not found) is a short answer — with the usage line when the input was
malformed — `PermissionDenied` says the role may not run the command, anything else goes to
Sentry with the update id and the user reads that the team is notified. Every command of a
linked user is one `bot.command` audit event (actor = the user, request id `tg-<update id>`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from limits import RateLimitItem
from sqlalchemy.orm import Session

from oversight.analytics.cache import KpiCache
from oversight.audit.events import record_event
from oversight.auth.dependencies import deny
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.auth.principal import Principal, bind_principal
from oversight.config import Settings
from oversight.context import RequestContext, bound_context
from oversight.errors import AppError, PermissionDenied
from oversight.observability.sentry import capture_exception
from oversight.security.rate_limiter import RateLimiter, parse_limits
from oversight.telegram import linking
from oversight.telegram.i18n import Wording, wording
from oversight.telegram.linking import LinkedCaller

if TYPE_CHECKING:
    from telegram import Bot, InlineKeyboardMarkup, Message, Update
    from telegram.ext import ContextTypes

logger = logging.getLogger("oversight.telegram")
DEPS = "oversight.bot"  # key of BotDeps in Application.bot_data
USER_AGENT = "telegram"  # what the audit trail's user_agent says for every bot event


def _(message: str) -> str:
    """Mark a message id for extraction; translated where it is shown (`Call.t`)."""
    return message


@dataclass(frozen=True, slots=True)
class Reply:
    """What the bot answers: a text, or a photo (PNG or JPEG) with the text as its caption.
    `buttons`: inline buttons under the text, one per row, as (label, callback data)."""

    text: str
    photo: bytes | None = None
    unlinked: bool = False  # the refusal an unlinked account gets (sent once per window)
    buttons: tuple[tuple[str, str], ...] = ()


class Refusal(Exception):
    """A short answer instead of a result. `usage`: the input was malformed, so the answer
    ends with the command's usage line. `outcome` is what the audit event records."""

    def __init__(self, text: str, *, usage: bool = False, outcome: str = "bad_input") -> None:
        super().__init__(text)
        self.text = text
        self.usage = usage
        self.outcome = outcome


@dataclass(frozen=True, slots=True)
class Call:
    """One command as a handler sees it."""

    session: Session
    settings: Settings
    cache: KpiCache
    wording: Wording
    command: str
    args: tuple[str, ...]
    telegram_user_id: int
    chat_id: int
    caller: LinkedCaller | None
    commands: tuple[Command, ...]

    def t(self, message: str) -> str:
        """`message` in the caller's language."""
        return self.wording.gettext(message)

    @property
    def principal(self) -> Principal:
        assert self.caller is not None, "only commands for linked accounts read the principal"
        return self.caller.principal


@dataclass(frozen=True, slots=True)
class Command:
    """A bot command. `needs`: the caller's role must read at least one of these resources
    (empty: any linked user). `linked=False`: open to accounts not linked yet."""

    name: str
    usage: str  # message id, e.g. "/chart <name>"
    description: str  # message id, one line for /help
    run: Callable[[Call], Reply]
    needs: frozenset[Resource] = frozenset()
    linked: bool = True

    def allowed(self, caller: LinkedCaller | None) -> bool:
        if caller is None:
            return not self.linked
        return not self.needs or any(is_allowed(caller.role, r, Action.read) for r in self.needs)


@dataclass(frozen=True, slots=True)
class Button:
    """A handler of inline-button presses whose callback data matches `pattern` (a regex).
    `run(call, data, sent_at)` returns the short text the press is answered with, or a
    `Reply` sent to the chat as a message of its own (the press is answered silently)."""

    name: str
    pattern: str
    run: Callable[[Call, str, datetime | None], str | Reply]


@dataclass
class BotDeps:
    """What the handlers need, set once when the application is built."""

    settings: Settings
    session_scope: Callable[[], AbstractContextManager[Session]]
    cache: KpiCache
    limiter: RateLimiter
    commands: tuple[Command, ...] = ()
    limits: tuple[RateLimitItem, ...] = field(init=False)
    unlinked_limits: tuple[RateLimitItem, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.limits = parse_limits(self.settings.telegram.rate_limit)
        self.unlinked_limits = parse_limits(self.settings.telegram.unlinked_reply_limit)

    @property
    def default_wording(self) -> Wording:
        return wording(self.settings.telegram.default_language.value)


def usage_line(call_wording: Wording, command: Command) -> str:
    return call_wording.gettext("Usage: {usage}").format(usage=call_wording.gettext(command.usage))


async def run_command(update: Update, context: ContextTypes.DEFAULT_TYPE, command: Command) -> None:
    """The one path of every command: rate limit, then `execute` in a thread, then send."""
    deps: BotDeps = context.bot_data[DEPS]
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    verdict = await deps.limiter.hit(deps.limits, "telegram", str(user.id))
    if not verdict.allowed and not verdict.unavailable:  # storage down: serve, like the API
        text = deps.default_wording.gettext("Too many commands: try again in {seconds} s.")
        await message.reply_text(text.format(seconds=verdict.retry_after))
        return
    args = tuple(context.args or ())
    reply = await asyncio.to_thread(
        execute, deps, command, update.update_id, user.id, message.chat_id, args
    )
    if reply.unlinked:
        once = await deps.limiter.hit(deps.unlinked_limits, "telegram-unlinked", str(user.id))
        if not once.allowed:
            return  # one polite refusal per window, then silence
    await send(message, reply)


MAX_TEXT = 4096  # Telegram's limit on one message's text


def message_parts(text: str, limit: int = MAX_TEXT) -> list[str]:
    """`text` in messages of at most `limit` characters, split between lines where it can be
    (a long list of engineers or clients), inside a line only when one line is too long."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            candidate = line
        current = candidate
    parts.append(current)
    return parts


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's inline buttons, one per row (None without buttons)."""
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    if not reply.buttons:
        return None
    rows = [[InlineKeyboardButton(label, callback_data=data)] for label, data in reply.buttons]
    return InlineKeyboardMarkup(rows)


async def send(message: Message, reply: Reply) -> None:
    if reply.photo is not None:
        await message.reply_photo(photo=reply.photo, caption=reply.text)
        return
    parts = message_parts(reply.text)
    for number, part in enumerate(parts, 1):
        markup = keyboard(reply) if number == len(parts) else None  # under the last part
        await message.reply_text(part, reply_markup=markup)


async def send_to_chat(bot: Bot, chat_id: int, reply: Reply) -> None:
    """`reply` as a new message to `chat_id` (a button press has no message to reply to)."""
    if reply.photo is not None:
        await bot.send_photo(chat_id, photo=reply.photo, caption=reply.text)
        return
    for part in message_parts(reply.text):
        await bot.send_message(chat_id, part)


def execute(
    deps: BotDeps,
    command: Command,
    update_id: int,
    telegram_user_id: int,
    chat_id: int,
    args: tuple[str, ...],
) -> Reply:
    """Run `command` for the Telegram user in a unit of work of its own; never raises."""
    context = RequestContext(request_id=f"tg-{update_id}", origin="bot", user_agent=USER_AGENT)
    language = deps.default_wording
    caller: LinkedCaller | None = None
    with bound_context(context):
        try:
            with deps.session_scope() as session:
                caller = linking.caller_for(session, telegram_user_id)
                if caller is not None and caller.language:
                    language = wording(caller.language)
                call = Call(
                    session=session,
                    settings=deps.settings,
                    cache=deps.cache,
                    wording=language,
                    command=command.name,
                    args=args,
                    telegram_user_id=telegram_user_id,
                    chat_id=chat_id,
                    caller=caller,
                    commands=deps.commands,
                )
                return _audited(call, command)
        except Refusal as refusal:
            usage = "\n" + usage_line(language, command) if refusal.usage else ""
            return Reply(refusal.text + usage)
        except PermissionDenied:
            text = language.gettext("Your role may not use /{command}.")
            return Reply(text.format(command=command.name))
        except AppError as error:  # a service's refusal the handler did not expect
            return Reply(error.message)
        except Exception as error:
            logger.exception("bot command failed", extra={"command": command.name})
            capture_exception(
                error,
                user_id=caller.user_id if caller else None,
                update_id=str(update_id),
                command=command.name,
            )
            return Reply(language.gettext("Something went wrong; the team is notified."))


def _audited(call: Call, command: Command) -> Reply:
    caller = call.caller
    if caller is None and command.linked:
        text = call.t(
            "This Telegram account is not linked to an Oversight user. Ask your administrator "
            "for a link code and send /link CODE."
        )
        return Reply(text, unlinked=True)
    if caller is not None and not caller.active:
        record_event(call.session, "access.denied", entity_type="telegram", reason="user disabled",
                     actor=_actor(caller), survive_rollback=True)  # fmt: skip
        raise Refusal(call.t("Your account is disabled."), outcome="disabled")
    if caller is not None:
        bind_principal(call.session, caller.principal)
    outcome = "error"
    try:
        if caller is not None and not command.allowed(caller):
            needed = sorted(command.needs)[0].value if command.needs else "telegram"
            deny(call.session, caller.principal, needed, "read")
        reply = command.run(call)
        outcome = "ok"
        return reply
    except Refusal as refusal:
        outcome = refusal.outcome
        raise
    except PermissionDenied:
        outcome = "denied"
        raise
    finally:
        details: dict[str, object] = {
            "command": command.name,
            "outcome": outcome,
            "channel": "telegram",
        }
        if caller is None:
            details["telegram_user_id"] = call.telegram_user_id
        record_event(call.session, "bot.command", entity_type="telegram", entity_id=command.name,
                     details=details, survive_rollback=True)  # fmt: skip


def _actor(caller: LinkedCaller) -> dict[str, object]:
    return {
        "actor_type": "user",
        "actor_id": caller.user_id,
        "actor_name": caller.username,
        "actor_role": caller.role.value,
    }
