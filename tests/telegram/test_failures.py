"""Rate limits, unexpected errors (Sentry with the update id), inline-button presses."""

from __future__ import annotations

import time

from pydantic import SecretStr
from sqlalchemy import select

from bot_harness import link, new_telegram_id
from builders import make_user
from engines import EMBEDDED_ONLY
from fake_sentry import fake_sentry
from oversight.audit.models import AuditEvent
from oversight.observability import sentry
from oversight.telegram.bot import all_commands
from oversight.telegram.runtime import Button, Call, Command, Refusal, Reply
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY


def _events(session, action: str) -> list[AuditEvent]:
    statement = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(session.scalars(statement))


def test_commands_are_rate_limited_per_telegram_user(start_bot, session, settings):
    bot = start_bot(rate_limit="3/minute")
    first = link(session, settings, make_user(session, Role.viewer))
    second = link(session, settings, make_user(session, Role.viewer))
    for _ in range(3):
        assert bot.ask(first, "/start").text.startswith("Hello,")
    refused = bot.ask(first, "/start").text
    assert refused.startswith("Too many commands: try again in ")
    assert refused.endswith(" s.")
    assert bot.ask(second, "/start").text.startswith("Hello,")  # counted per user
    assert len(_events(session, "bot.command")) == 4  # the refused one never ran


def _boom(call: Call) -> Reply:
    raise RuntimeError("database exploded: secret=hunter2")


def test_an_unexpected_error_goes_to_sentry_and_the_user_is_told(start_bot, session, settings):
    boom = Command("boom", "/boom", "fails", _boom)
    bot = start_bot(commands=(*all_commands(), boom))
    user = make_user(session, Role.director)
    account = link(session, settings, user)
    with fake_sentry() as server:
        sentry.shutdown_sentry()
        configured = settings.model_copy(
            update={"sentry": settings.sentry.model_validate({"dsn": server.dsn})}
        )
        assert sentry.init_sentry(configured)
        try:
            update_id = bot.api.message(account, "/boom")
            answer = bot.api.wait_answers(1)[0]
            sentry.shutdown_sentry()  # flushes
        finally:
            sentry.shutdown_sentry()
        assert answer.text == "Something went wrong; the team is notified."
        deadline = time.monotonic() + 10
        while not server.events() and time.monotonic() < deadline:
            time.sleep(0.05)
        [event] = server.events()
    assert event["tags"]["update_id"] == str(update_id)
    assert event["tags"]["request_id"] == f"tg-{update_id}"
    assert event["tags"]["origin"] == "bot"
    assert event["user"] == {"id": str(user.id)}
    assert "hunter2" not in str(event)
    [audited] = _events(session, "bot.command")
    assert (audited.actor_id, audited.entity_id) == (user.id, "boom")
    assert '"outcome":"error"' in audited.changes


def _press(call: Call, data: str, sent_at: object) -> str:
    if data.endswith(":bad"):
        raise Refusal(call.t("Your account is disabled."))
    return f"pressed {data} as {call.principal.username}"


def test_button_presses_run_as_the_linked_user_and_are_audited(start_bot, session, settings):
    button = Button("probe", r"^probe:", _press)
    bot = start_bot(buttons=[button])
    user = make_user(session, Role.admin)
    account = link(session, settings, user)
    answer = bot.press(account, "probe:1")
    assert answer.method == "answerCallbackQuery"
    assert answer.params["text"] == f"pressed probe:1 as {user.username}"
    assert bot.press(account, "probe:bad").params["text"] == "Your account is disabled."
    assert bot.press(new_telegram_id(), "probe:2").params["text"] == (
        "This Telegram account is not linked."
    )
    events = _events(session, "bot.button")
    assert [(e.actor_id, e.entity_id) for e in events] == [(user.id, "probe")] * 2
    assert '"outcome":"ok"' in events[0].changes


def test_rate_limits_count_in_redis_when_configured(start_bot, session, settings):
    import redis

    import servers

    with servers.redis_server() as server:
        shared = settings.ratelimit.model_copy(update={"redis_url": SecretStr(server.url)})
        bot = start_bot(
            rate_limit="2/minute", _settings=settings.model_copy(update={"ratelimit": shared})
        )
        account = link(session, settings, make_user(session, Role.viewer))
        assert bot.ask(account, "/start").text.startswith("Hello,")
        assert bot.ask(account, "/start").text.startswith("Hello,")
        assert bot.ask(account, "/start").text.startswith("Too many commands")
        client = redis.Redis.from_url(server.url)
        keys = [key.decode() for key in client.scan_iter(match="oversight:ratelimit:*")]
        client.close()
    assert any(f"telegram/{account}/" in key for key in keys), keys
