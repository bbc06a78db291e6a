"""The bot's API: link codes made by an administrator, and the webhook Telegram posts to."""

from __future__ import annotations

import secrets
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot_harness import bot_settings, new_telegram_id, test_scope
from builders import make_user
from engines import EMBEDDED_ONLY
from oversight.audit.models import AuditEvent
from oversight.main import create_app
from oversight.telegram.runtime import DEPS
from oversight.telegram.webhook import SECRET_HEADER, webhook_bot
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY


def test_an_admin_makes_a_link_code_that_the_bot_accepts(client, auth, session, bot):
    admin, director = make_user(session, Role.admin), make_user(session, Role.director)
    response = client.post(f"/api/v1/users/{director.id}/telegram-link-code", headers=auth(admin))
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    code = response.json()["code"]
    [event] = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "telegram.link_code_created")
    ).all()
    assert (event.actor_id, event.entity_id) == (admin.id, str(director.id))
    assert code not in (event.changes or "")
    answer = bot.ask(new_telegram_id(), f"/link {code}")
    assert answer.text.startswith(f"Linked: you are {director.username} here.")


@pytest.mark.parametrize("role", [Role.director, Role.project_manager, Role.viewer])
def test_only_an_admin_makes_link_codes(client, auth, session, role):
    caller, target = make_user(session, role), make_user(session, Role.engineer)
    response = client.post(f"/api/v1/users/{target.id}/telegram-link-code", headers=auth(caller))
    assert response.status_code == 403


def test_a_link_code_for_a_missing_or_disabled_user(client, auth, session):
    admin = make_user(session, Role.admin)
    disabled = make_user(session, Role.viewer, is_active=False)
    missing = client.post("/api/v1/users/987654321/telegram-link-code", headers=auth(admin))
    assert missing.status_code == 404
    refused = client.post(f"/api/v1/users/{disabled.id}/telegram-link-code", headers=auth(admin))
    assert refused.status_code == 409
    assert "disabled" in refused.json()["error"]["message"]


@pytest.fixture
def webhook_client(settings, engine, session, bot_api):
    secret = secrets.token_urlsafe(32)
    configured = bot_settings(
        settings, bot_api, mode="webhook", webhook_secret=secret,
        webhook_url="https://desk.example.com/api/v1/telegram/webhook",
    )  # fmt: skip
    # The route needs no request session: the bot runs each update in a unit of work of its
    # own, here the test's transaction.
    application = create_app(configured, engine=engine)
    bot = webhook_bot(application)
    assert bot is not None
    bot.application.bot_data[DEPS].session_scope = test_scope(session)
    with TestClient(application, raise_server_exceptions=False) as client:
        yield client, secret, bot_api


def _update(user_id: int, text: str) -> dict[str, object]:
    return {
        "update_id": 77,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": user_id, "is_bot": False, "first_name": "T"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


def test_the_webhook_runs_an_update_with_the_right_secret_only(webhook_client):
    client, secret, api = webhook_client
    url = "/api/v1/telegram/webhook"
    account = new_telegram_id()
    assert client.post(url, json=_update(account, "/start")).status_code == 403
    wrong = {SECRET_HEADER: secret[:-1] + ("A" if secret[-1] != "A" else "B")}
    assert client.post(url, json=_update(account, "/start"), headers=wrong).status_code == 403
    assert api.answers() == []
    right = {SECRET_HEADER: secret}
    assert client.post(url, json={"nothing": 1}, headers=right).status_code == 422
    assert client.post(url, json=_update(account, "/start"), headers=right).status_code == 200
    [answer] = api.answers()
    assert answer.text.startswith("Welcome to Oversight.")
    assert answer.chat_id == account


def test_without_webhook_mode_the_route_is_not_found(client):
    response = client.post("/api/v1/telegram/webhook", json={"update_id": 1})
    assert response.status_code == 404
