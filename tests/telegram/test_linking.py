"""Linking a Telegram account: one-time codes, /link, /unlink, unlinked and disabled accounts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot_harness import link, new_telegram_id
from builders import make_user
from oversight.audit.models import AuditEvent
from oversight.auth.models import User
from oversight.errors import Conflict
from oversight.telegram import linking
from oversight.telegram.models import TelegramLink, TelegramLinkCode
from oversight.vocabulary import Role

NOT_LINKED = (
    "This Telegram account is not linked to an Oversight user. Ask your administrator for a "
    "link code and send /link CODE."
)


def _events(session, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def test_a_code_links_the_account_once_and_unlink_ends_it(bot, session, settings):
    director = make_user(session, Role.director)
    issued = linking.create_link_code(session=session, settings=settings, user=director)
    account, other = new_telegram_id(), new_telegram_id()

    assert bot.ask(account, "/analytics").text == NOT_LINKED
    answer = bot.ask(account, f"/link {issued.code.lower()}")
    assert answer.text == (
        f"Linked: you are {director.username} here. /help lists what you can do."
    )
    assert answer.chat_id == account
    assert bot.ask(account, "/start").text == (
        f"Hello, {director.username}. /help lists what you can do here."
    )
    # the code is spent: another account cannot use it
    assert bot.ask(other, f"/link {issued.code}").text == (
        "This code is unknown, used or expired: ask your administrator for a new one."
    )
    assert bot.ask(account, "/unlink").text == (
        "Unlinked: this Telegram account no longer reaches Oversight."
    )
    assert session.scalars(select(TelegramLink)).all() == []
    linked = _events(session, "telegram.linked")
    assert [(e.actor_id, e.actor_role, e.entity_id) for e in linked] == [
        (director.id, "director", str(director.id))
    ]
    assert len(_events(session, "telegram.unlinked")) == 1


def test_an_unlinked_account_gets_one_polite_refusal_and_then_silence(bot, session):
    account = new_telegram_id()
    assert bot.ask(account, "/overdue").text == NOT_LINKED
    bot.api.message(account, "/analytics")
    bot.api.message(account, "hello?")
    # /start answers even an unlinked account; it is the next answer, so the two above got none
    answer = bot.ask(account, "/start")
    assert answer.text.startswith("Welcome to Oversight.")
    assert len(bot.api.answers()) == 2
    assert _events(session, "analytics.viewed") == []


def test_the_code_is_stored_hashed_and_expires(bot, session, settings):
    engineer = make_user(session, Role.engineer)
    issued = linking.create_link_code(session=session, settings=settings, user=engineer)
    stored = session.scalars(select(TelegramLinkCode)).one()
    assert issued.code.replace("-", "") not in stored.code_hash
    assert len(stored.code_hash) == 64
    stored.expires_at = stored.expires_at - timedelta(minutes=settings.telegram.link_code_minutes)
    session.flush()
    assert bot.ask(new_telegram_id(), f"/link {issued.code}").text.startswith(
        "This code is unknown, used or expired"
    )


def test_a_new_code_replaces_the_old_one(session, settings):
    user = make_user(session, Role.viewer)
    first = linking.create_link_code(session=session, settings=settings, user=user)
    second = linking.create_link_code(session=session, settings=settings, user=user)
    assert first.code != second.code
    assert len(session.scalars(select(TelegramLinkCode)).all()) == 1
    assert [e.action for e in _events(session, "telegram.link_code_created")] == [
        "telegram.link_code_created"
    ] * 2


def test_link_without_a_code_shows_the_usage(bot):
    assert bot.ask(new_telegram_id(), "/link").text == (
        "Send the code your administrator gave you.\nUsage: /link CODE"
    )


def test_an_account_linked_to_someone_else_must_unlink_first(bot, session, settings):
    first, second = make_user(session, Role.viewer), make_user(session, Role.viewer)
    account = link(session, settings, first)
    issued = linking.create_link_code(session=session, settings=settings, user=second)
    assert bot.ask(account, f"/link {issued.code}").text == (
        "This Telegram account is linked to another user: send /unlink first."
    )


def test_a_disabled_users_telegram_is_refused_at_once(bot, session, settings):
    director = make_user(session, Role.director)
    account = link(session, settings, director)
    assert bot.ask(account, "/start").text.startswith("Hello,")
    session.get(User, director.id).is_active = False  # the bot's unit of work detached it
    session.flush()
    for command in ("/analytics", "/help", "/start"):
        assert bot.ask(account, command).text == "Your account is disabled."
    denied = _events(session, "access.denied")
    assert [(e.actor_id, e.reason) for e in denied] == [(director.id, "user disabled")] * 3
    assert _events(session, "analytics.viewed") == []


def test_a_disabled_user_gets_no_link_code(session, settings):
    user = make_user(session, Role.viewer, is_active=False)
    with pytest.raises(Conflict, match="disabled"):
        linking.create_link_code(session=session, settings=settings, user=user)


def test_the_chat_of_a_user_is_known_while_linked_and_active(session, settings):
    user, other = make_user(session, Role.engineer), make_user(session, Role.engineer)
    account = link(session, settings, user)
    assert linking.chat_of(session, user.id) == account
    assert linking.chat_of(session, other.id) is None
    user.is_active = False
    session.flush()
    assert linking.chat_of(session, user.id) is None


def test_the_nightly_job_deletes_expired_codes_only(session, settings):
    from oversight.jobs.registry import collect_jobs

    fresh, stale = make_user(session, Role.viewer), make_user(session, Role.viewer)
    linking.create_link_code(session=session, settings=settings, user=fresh)
    linking.create_link_code(session=session, settings=settings, user=stale)
    old = session.scalars(select(TelegramLinkCode).where(TelegramLinkCode.user_id == stale.id))
    code = old.one()
    code.expires_at = code.created_at - timedelta(seconds=1)
    session.flush()
    collect_jobs(settings).get("telegram_purge_link_codes").func(session)
    assert [c.user_id for c in session.scalars(select(TelegramLinkCode))] == [fresh.id]
