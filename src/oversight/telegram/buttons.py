"""Inline-button presses: the same path as a command (rate limit, linked user, principal,
audit, errors), answered with `answerCallbackQuery`.

A handler module that sends messages with buttons exports `BUTTONS` (`runtime.Button`); the
bot registers each with its callback-data pattern. The press is one `bot.button` audit event.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING

from oversight.audit.events import record_event
from oversight.auth.principal import bind_principal
from oversight.context import RequestContext, bound_context
from oversight.errors import AppError, PermissionDenied
from oversight.observability.sentry import capture_exception
from oversight.telegram import linking
from oversight.telegram.i18n import Wording, wording
from oversight.telegram.runtime import (
    DEPS,
    USER_AGENT,
    BotDeps,
    Button,
    Call,
    Refusal,
    Reply,
    logger,
    send_to_chat,
)

if TYPE_CHECKING:
    from telegram import Update
    from telegram.ext import ContextTypes


async def run_button(update: Update, context: ContextTypes.DEFAULT_TYPE, button: Button) -> None:
    deps: BotDeps = context.bot_data[DEPS]
    query, user = update.callback_query, update.effective_user
    if query is None or user is None:
        return
    verdict = await deps.limiter.hit(deps.limits, "telegram", str(user.id))
    if not verdict.allowed and not verdict.unavailable:
        text = deps.default_wording.gettext("Too many commands: try again in {seconds} s.")
        await query.answer(text.format(seconds=verdict.retry_after))
        return
    sent_at = query.message.date if query.message is not None else None
    chat_id = query.message.chat.id if query.message is not None else user.id
    answer = await asyncio.to_thread(
        execute_button, deps, button, update.update_id, user.id, chat_id, query.data or "", sent_at
    )
    if isinstance(answer, Reply):
        await query.answer()
        await send_to_chat(context.bot, chat_id, answer)
        return
    await query.answer(answer)


def execute_button(
    deps: BotDeps,
    button: Button,
    update_id: int,
    telegram_user_id: int,
    chat_id: int,
    data: str,
    sent_at: datetime | None,
) -> str | Reply:
    """Run `button` for the press in a unit of work of its own; the answer text (or a
    message to send), never raises."""
    context = RequestContext(request_id=f"tg-{update_id}", origin="bot", user_agent=USER_AGENT)
    language: Wording = deps.default_wording
    user_id: int | None = None
    with bound_context(context):
        try:
            with deps.session_scope() as session:
                caller = linking.caller_for(session, telegram_user_id)
                if caller is None:
                    return language.gettext("This Telegram account is not linked.")
                user_id = caller.user_id
                if caller.language:
                    language = wording(caller.language)
                if not caller.active:
                    raise Refusal(language.gettext("Your account is disabled."))
                bind_principal(session, caller.principal)
                call = Call(session=session, settings=deps.settings, cache=deps.cache,
                            wording=language, command=button.name, args=(data,),
                            telegram_user_id=telegram_user_id, chat_id=chat_id, caller=caller,
                            commands=deps.commands)  # fmt: skip
                outcome = "error"
                try:
                    answer = button.run(call, data, sent_at)
                    outcome = "ok"
                    return answer
                except Refusal as refusal:
                    outcome = refusal.outcome
                    raise
                finally:
                    record_event(session, "bot.button", entity_type="telegram",
                                 entity_id=button.name,
                                 details={"button": button.name, "outcome": outcome},
                                 survive_rollback=True)  # fmt: skip
        except Refusal as refusal:
            return refusal.text
        except PermissionDenied:
            return language.gettext("Your role may not do this.")
        except AppError as error:
            return error.message
        except Exception as error:
            logger.exception("bot button failed", extra={"button": button.name})
            capture_exception(error, user_id=user_id, update_id=str(update_id))
            return language.gettext("Something went wrong; the team is notified.")
