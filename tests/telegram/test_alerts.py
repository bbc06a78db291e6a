# ruff: noqa: RUF001 - Russian text is what some of these tests check
"""The alert hub in the bot: /alerts, /alerts stats, /ack, /oncall and the message buttons,
for roles that may and may not, with bad input, in both languages; an acknowledgement made
in the bot edits the alert's Telegram messages, sent by the hub with the bot's own token."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alert_hub import ONCALL_PEOPLE, am_alert, make_alert, payload, start_alertmanager
from bot_harness import bot_settings, link
from builders import make_user
from engines import EMBEDDED_ONLY
from oversight.alerts import delivery, intake
from oversight.alerts.models import Alert
from oversight.audit.models import AuditEvent
from oversight.config import AlertsSettings
from oversight.kit.clock import utcnow
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY


@pytest.fixture
def hub(settings):
    """Alert settings with an on-call rotation and chat, and NO Telegram token of their own."""
    alerts = AlertsSettings.model_validate(
        {
            "oncall": {"people": ONCALL_PEOPLE, "rotation_start": "2026-11-30"},
            "oncall_chat": {"name": "On-call chat", "telegram_chat_id": -500},
            "deliver_in_background": False,
            "stats_ttl_seconds": 0,
        }
    )
    return settings.model_copy(update={"alerts": alerts})


@pytest.fixture
def hub_bot(start_bot, hub):
    return start_bot(_settings=hub)


def receive(session, settings) -> Alert:
    body = json.dumps(payload(am_alert(starts_at=utcnow() - timedelta(minutes=3)))).encode()
    intake.ingest(session, settings, intake.parse_payload(body))
    return session.scalars(select(Alert).order_by(Alert.id.desc())).one()


def reply_to(bot, account: int, text: str):
    """Send `text`; the bot's message to `account` (other calls may come before it)."""
    before = len(bot.api.answers())
    bot.api.message(account, text)
    count = before + 1
    while True:
        sent = bot.api.wait_answers(count)[before:]
        for call in sent:
            if call.method == "sendMessage" and call.params["chat_id"] == str(account):
                return call
        count = before + len(sent) + 1


def test_alerts_lists_firing_alerts_newest_first_with_who_acknowledged(hub_bot, session, hub):
    now = utcnow()
    older = make_alert(session, "DiskFull", now - timedelta(hours=2), severity="warning")
    newer = make_alert(session, "DatabaseDown", now - timedelta(minutes=5))
    make_alert(session, "Gone", now - timedelta(hours=3), resolved_after=timedelta(minutes=9))
    boss = make_user(session, Role.admin, full_name="Olga Admin")
    older.acknowledged_at, older.acknowledged_by_id = now, boss.id
    account = link(session, hub, make_user(session, Role.director))
    text = hub_bot.ask(account, "/alerts").text
    lines = text.splitlines()
    assert lines[0] == "Firing alerts: 2"
    assert lines[1].startswith(f"#{newer.id} [critical] DatabaseDown")
    assert lines[1].endswith(f"not acknowledged: /ack {newer.id}")
    assert lines[2].startswith(f"#{older.id} [warning] DiskFull")
    assert lines[2].endswith("acknowledged by Olga Admin")
    assert "Gone" not in text


def test_alerts_with_nothing_firing_and_a_bad_argument(hub_bot, session, hub):
    account = link(session, hub, make_user(session, Role.admin))
    assert hub_bot.ask(account, "/alerts").text == "No alert is firing."
    assert hub_bot.ask(account, "/alerts everything").text == (
        "/alerts takes nothing or the word stats.\nUsage: /alerts [stats]"
    )


@pytest.mark.parametrize("command", ["/alerts", "/alerts stats", "/ack 1", "/oncall"])
def test_a_role_without_alerts_gets_the_usual_refusal(hub_bot, session, hub, command):
    account = link(session, hub, make_user(session, Role.engineer))
    name = command.split()[0][1:]
    assert hub_bot.ask(account, command).text == f"Your role may not use /{name}."
    [denied] = session.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied"))
    assert denied.actor_role == "engineer"


def test_ack_records_who_and_edits_the_alert_message_sent_with_the_bot_token(
    hub_bot, session, hub, bot_api
):
    configured = bot_settings(hub, bot_api)  # the bot's token only: the hub borrows it
    alert = receive(session, configured)
    session.commit()
    assert (
        delivery.deliver_pending(
            session, configured, delivery.channels_from(configured), checkpoint=session.commit
        )
        >= 1
    )
    sent = {s.params["chat_id"]: s for s in bot_api.sent if s.method == "sendMessage"}
    assert "-500" in sent  # the on-call chat, through the bot's token
    user = make_user(session, Role.project_manager, full_name="Petr Manager")
    account = link(session, hub, user)
    answer = reply_to(hub_bot, account, f"/ack {alert.id}")
    assert answer.params["text"] == f"Acknowledged alert #{alert.id} (DatabaseDown)."
    session.expire_all()
    stored = session.get(Alert, alert.id)
    assert (stored.acknowledged_by_id, stored.acknowledged_via) == (user.id, "telegram")
    edits = [s for s in bot_api.sent if s.method == "editMessageText"]
    assert sorted(e.params["chat_id"] for e in edits) == sorted(sent)
    for edit in edits:
        assert "Petr Manager" in edit.params["text"]
        assert "Petr Manager" not in sent[edit.params["chat_id"]].params["text"]
    again = link(session, hub, make_user(session, Role.admin))
    assert hub_bot.ask(again, f"/ack {alert.id}").text == (
        f"Alert #{alert.id} was already acknowledged by Petr Manager."
    )


def test_ack_refuses_a_director_who_may_only_read(hub_bot, session, hub):
    alert = make_alert(session, "DatabaseDown", utcnow() - timedelta(minutes=5))
    account = link(session, hub, make_user(session, Role.director))
    assert hub_bot.ask(account, f"/ack {alert.id}").text == "Your role may not use /ack."
    session.expire_all()
    assert session.get(Alert, alert.id).acknowledged_at is None


@pytest.mark.parametrize("args", ["", "abc", "1 2", "-4"])
def test_ack_bad_ids_get_the_usage_line(hub_bot, session, hub, args):
    account = link(session, hub, make_user(session, Role.admin))
    assert hub_bot.ask(account, f"/ack {args}".strip()).text == (
        "Give one alert number, e.g. /ack 12.\nUsage: /ack <alert number>"
    )


def test_ack_of_an_unknown_alert(hub_bot, session, hub):
    account = link(session, hub, make_user(session, Role.admin))
    assert hub_bot.ask(account, "/ack 999999").text == (
        "No alert #999999.\nUsage: /ack <alert number>"
    )


def test_oncall_names_the_person_and_the_next(hub_bot, session, hub):
    account = link(session, hub, make_user(session, Role.viewer))
    lines = hub_bot.ask(account, "/oncall").text.splitlines()
    names = {p["name"] for p in ONCALL_PEOPLE}
    assert lines[0].startswith("On call now: ")
    assert lines[0].removeprefix("On call now: ") in names
    assert lines[1].startswith("Until: ")
    assert lines[2].removeprefix("Next: ") in names - {lines[0].removeprefix("On call now: ")}


def test_oncall_without_a_rotation(bot, session, settings):
    account = link(session, settings, make_user(session, Role.admin))
    assert bot.ask(account, "/oncall").text == "No on-call rotation is configured."


def test_alerts_stats_shows_mttr_ack_and_noise_with_goals(hub_bot, session, hub):
    start = utcnow() - timedelta(days=3)
    make_alert(
        session, "A", start, resolved_after=timedelta(hours=2), acked_after=timedelta(minutes=10)
    )
    make_alert(session, "B", start + timedelta(hours=5), resolved_after=timedelta(hours=4),
               acked_after=timedelta(minutes=20))  # fmt: skip
    account = link(session, hub, make_user(session, Role.admin))
    lines = hub_bot.ask(account, "/alerts stats").text.splitlines()
    assert lines[0].startswith("On-call statistics, ")
    assert lines[1] == "Alerts: 2"
    assert lines[2] == "MTTR: 3.0 h (goal < 4 h) ✅"
    assert lines[3] == "Time to acknowledge: 15.0 min (goal < 15 min) ❌"
    assert lines[4] == "Noise: 0.0% (goal < 5%) ✅"


def test_russian_answers(hub_bot, session, hub):
    make_alert(session, "DatabaseDown", utcnow() - timedelta(minutes=5))
    account = link(session, hub, make_user(session, Role.admin))
    hub_bot.ask(account, "/lang ru")
    assert hub_bot.ask(account, "/alerts").text.splitlines()[0] == "Активные оповещения: 1"
    assert hub_bot.ask(account, "/ack x").text == (
        "Укажите один номер оповещения, например /ack 12.\nИспользование: /ack <номер оповещения>"
    )
    assert hub_bot.ask(account, "/oncall").text.startswith("Сейчас дежурит: ")
    stats = hub_bot.ask(account, "/alerts stats").text.splitlines()
    assert stats[2] == "MTTR (время устранения): — (цель < 4 ч)"


def test_the_acknowledge_button_acknowledges_for_the_linked_user(hub_bot, session, hub):
    alert = make_alert(session, "DatabaseDown", utcnow() - timedelta(minutes=5))
    user = make_user(session, Role.admin)
    account = link(session, hub, user)
    before = len(hub_bot.api.answers())
    hub_bot.api.press(account, f"alert:ack:{alert.id}")
    answers = hub_bot.api.wait_answers(before + 1)[before:]
    [answer] = [a for a in answers if a.method == "answerCallbackQuery"]
    assert answer.params["text"] == f"Acknowledged alert #{alert.id}."
    session.expire_all()
    assert session.get(Alert, alert.id).acknowledged_by_id == user.id


def test_buttons_expired_unknown_and_refused_in_russian(hub_bot, session, hub):
    alert = make_alert(session, "DatabaseDown", utcnow() - timedelta(minutes=5))
    account = link(session, hub, make_user(session, Role.director))
    hub_bot.ask(account, "/lang ru")
    old = int((datetime.now(UTC) - timedelta(days=3)).timestamp())
    text = hub_bot.press(account, f"alert:ack:{alert.id}", sent_at=old).params["text"]
    assert text == "Сообщение устарело: его кнопки больше не действуют."
    assert hub_bot.press(account, "alert:nope").params["text"] == "Неизвестная кнопка."
    refused = hub_bot.press(account, f"alert:sil:{alert.id}:1h").params["text"]
    assert refused == "Вашей роли это недоступно."
    session.expire_all()
    assert session.get(Alert, alert.id).acknowledged_at is None


@pytest.fixture(scope="module")
def alertmanager(tmp_path_factory):
    """A real Alertmanager (no cluster), routing nowhere: the silences go to it."""
    config = {"receivers": [{"name": "null"}], "route": {"receiver": "null"}}
    with start_alertmanager(tmp_path_factory.mktemp("am"), config) as manager:
        yield manager


def test_the_silence_buttons_create_a_real_silence_and_answer_in_russian(
    start_bot, session, hub, alertmanager
):
    alerts = hub.alerts.model_copy(update={"alertmanager_url": alertmanager.url})
    configured = hub.model_copy(update={"alerts": alerts})
    bot = start_bot(_settings=configured)
    alert = make_alert(session, "DatabaseDown", utcnow() - timedelta(minutes=5))
    account = link(session, configured, make_user(session, Role.project_manager))
    before = len(alertmanager.silences())
    assert bot.press(account, f"alert:sil:{alert.id}:4h").params["text"] == (
        f"Silenced alert #{alert.id} for 4 h."
    )
    bot.ask(account, "/lang ru")
    assert bot.press(account, f"alert:sil:{alert.id}:res").params["text"] == (
        f"Оповещение #{alert.id} заглушено до устранения."
    )
    silences = alertmanager.silences()
    assert len(silences) == before + 2
    new = [s for s in silences if s["comment"].startswith(f"Oversight alert #{alert.id} ")]
    assert {m["name"]: m["value"] for m in new[-1]["matchers"]} == dict(alert.labels)


def test_oncall_follows_the_rotation_stored_through_the_api_in_both_languages(
    hub_bot, session, hub
):
    from oversight.alerts import rotation
    from oversight.alerts.schemas import RotationWrite

    people = [
        make_user(session, Role.engineer, full_name=name, email=f"oncall{i}@ops.test")
        for i, name in enumerate(["Иван Петров", "Olga Smirnova", "Petr Sidorov"])
    ]
    now = utcnow()
    body = RotationWrite(
        people=[p.username for p in people],
        first_handover=(now - timedelta(hours=1)).replace(microsecond=0),
        shift_hours=24,
    )
    rotation.replace(session, settings=hub, body=body)
    account = link(session, hub, make_user(session, Role.director))
    english = hub_bot.ask(account, "/oncall").text
    hub_bot.ask(account, "/lang ru")
    russian = hub_bot.ask(account, "/oncall").text
    assert english.splitlines()[0] == "On call now: Иван Петров"
    assert english.splitlines()[2] == "Next: Olga Smirnova"
    assert english.splitlines()[3] == "Turn order: Иван Петров → Olga Smirnova → Petr Sidorov"
    assert russian.splitlines()[0] == "Сейчас дежурит: Иван Петров"
    assert russian.splitlines()[1].startswith("Смена до: ")
    assert russian.splitlines()[3] == "Очерёдность: Иван Петров → Olga Smirnova → Petr Sidorov"
