"""The fallback chain against local servers: Telegram (retried with backoff) → e-mail (a real
SMTP server) → the WhatsApp proxy; every attempt recorded; a chain that fails completely is
an error log line and a Sentry event; resolutions edit the Telegram message in place."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from alert_hub import am_alert, hub_settings, payload, resolved
from builders import make_user
from fake_sentry import fake_sentry
from oversight.alerts import delivery, intake
from oversight.alerts import service as alert_service
from oversight.alerts.models import AlertNotification, DeliveryAttempt, NotificationState
from oversight.config import SentrySettings
from oversight.observability import sentry
from oversight.vocabulary import Role

ONCALL_ONLY = {
    "critical": {"targets": ["oncall"]},
    "warning": {"targets": ["oncall"]},
    "info": {"targets": ["digest"]},
}


def receive(session, settings, *alerts):
    body = json.dumps(payload(*alerts)).encode()
    return intake.ingest(session, settings, intake.parse_payload(body))


def deliver(session, settings, channels) -> int:
    return delivery.deliver_pending(session, settings, channels, checkpoint=session.commit)


def attempts(session) -> list[tuple[str, int, bool]]:
    rows = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all()
    return [(a.channel, a.attempt, a.ok) for a in rows]


def notifications(session) -> list[AlertNotification]:
    return list(session.scalars(select(AlertNotification).order_by(AlertNotification.id)).all())


def test_a_critical_alert_reaches_oncall_and_chat_on_telegram_with_buttons_and_by_email(
    session, hub, fakes, channels
):
    receive(session, hub, am_alert())
    assert deliver(session, hub, channels) == 4
    sent = fakes.bot.sent()
    assert sorted(call.body["chat_id"] for call in sent) == [-500, 1001]
    alert_id = notifications(session)[0].alert_id
    keyboard = sent[0].body["reply_markup"]["inline_keyboard"]
    assert [[b["callback_data"] for b in row] for row in keyboard] == [
        [f"alert:ack:{alert_id}"],
        [f"alert:sil:{alert_id}:1h", f"alert:sil:{alert_id}:4h", f"alert:sil:{alert_id}:res"],
    ]
    assert "CRITICAL: DatabaseDown" in sent[0].body["text"]
    assert sorted(r for rs in fakes.mailbox.recipients for r in rs) == [
        "anna@ops.test", "oncall@ops.test",
    ]  # fmt: skip
    assert "DatabaseDown" in fakes.mailbox.messages[0]["Subject"]
    by_telegram = [n for n in notifications(session) if n.channel == "telegram"]
    assert sorted(n.telegram_chat_id for n in by_telegram) == [-500, 1001]
    assert all(
        n.telegram_message_id and n.state is NotificationState.delivered for n in by_telegram
    )
    assert sorted(attempts(session)) == [("email", 1, True)] * 2 + [("telegram", 1, True)] * 2


def test_telegram_is_retried_with_exponential_backoff(session, hub, fakes, channels, sleeps):
    fakes.bot.fail_next(2)
    receive(session, hub, am_alert("HostHighCpu", severity="warning"))
    assert deliver(session, hub, channels) == 1
    assert attempts(session) == [("telegram", 1, False), ("telegram", 2, False),
                                 ("telegram", 3, True)]  # fmt: skip
    assert sleeps == [0.5, 1.0]
    failed = session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.ok.is_(False))).all()
    assert {a.error for a in failed} == {"HTTP 500: injected failure"}


def test_when_telegram_keeps_failing_the_message_goes_by_email(session, hub, fakes, channels):
    fakes.bot.down = True
    receive(session, hub, am_alert("HostHighCpu", severity="warning"))
    deliver(session, hub, channels)
    (notification,) = notifications(session)
    assert (notification.state, notification.channel) == (NotificationState.delivered, "email")
    assert attempts(session) == [("telegram", n, False) for n in (1, 2, 3)] + [("email", 1, True)]
    assert fakes.mailbox.recipients == [["oncall@ops.test"]]
    assert "HostHighCpu" in fakes.mailbox.messages[0].get_payload()


def test_when_email_fails_too_the_whatsapp_proxy_gets_it(
    session, settings, fakes, alertmanager, sleeps
):
    hub = hub_settings(settings, fakes, alertmanager.url, routes=ONCALL_ONLY)
    channels = delivery.channels_from(hub)
    channels.sleep = sleeps.append
    fakes.bot.down = True
    fakes.mailbox.refuse = True
    receive(session, hub, am_alert("HostHighCpu", severity="warning"))
    deliver(session, hub, channels)
    (notification,) = notifications(session)
    assert (notification.state, notification.channel) == (NotificationState.delivered, "whatsapp")
    assert attempts(session)[-2:] == [("email", 1, False), ("whatsapp", 1, True)]
    (call,) = fakes.whatsapp.calls
    assert call.body["to"] == "+70000000001"
    assert "HostHighCpu" in call.body["text"]
    assert call.headers["authorization"] == (
        f"Bearer {hub.alerts.whatsapp.token.get_secret_value()}"  # type: ignore[union-attr]
    )


@pytest.fixture
def reporting(settings):
    with fake_sentry() as server:
        sentry.shutdown_sentry()
        assert sentry.init_sentry(
            settings.model_copy(update={"sentry": SentrySettings(dsn=server.dsn)})
        )
        yield server
        sentry.shutdown_sentry()


def test_a_chain_failing_completely_is_logged_as_an_error_and_reported_to_sentry(
    session, settings, fakes, alertmanager, sleeps, reporting, json_logs
):
    hub = hub_settings(settings, fakes, alertmanager.url, routes=ONCALL_ONLY)
    channels = delivery.channels_from(hub)
    channels.sleep = sleeps.append
    fakes.bot.down = True
    fakes.mailbox.refuse = True
    fakes.whatsapp.down = True
    receive(session, hub, am_alert("HostHighCpu", severity="warning"))
    assert deliver(session, hub, channels) == 0
    (notification,) = notifications(session)
    assert notification.state is NotificationState.failed
    assert attempts(session) == [("telegram", 1, False), ("telegram", 2, False),
                                 ("telegram", 3, False), ("email", 1, False),
                                 ("whatsapp", 1, False)]  # fmt: skip
    errors = [line for line in json_logs() if line.get("level") == "error"]
    assert [line.get("action") or line.get("event") for line in errors] == ["alert_delivery_failed"]
    assert "Anna" not in json.dumps(errors)  # the recipient's name stays out of the log
    sentry.shutdown_sentry()
    (event,) = reporting.events()
    assert event["exception"]["values"][0]["type"] == "AlertDeliveryFailed"


def test_a_recipient_without_an_address_for_a_channel_is_skipped_and_recorded(
    session, hub, fakes, channels
):
    # Vera (third in the rotation) has no WhatsApp number; the quiet chat no e-mail.
    fakes.bot.down = True
    receive(session, hub, am_alert("BackupFailed", severity="info"))
    assert delivery.send_digest(session, hub, channels, checkpoint=session.commit) == 1
    assert attempts(session)[-2:] == [("email", 0, False), ("whatsapp", 0, False)]
    errors = session.scalars(select(DeliveryAttempt.error).where(DeliveryAttempt.attempt == 0))
    assert set(errors) == {"skipped: recipient has no address"}


def test_resolution_edits_the_telegram_messages_in_place(session, hub, fakes, channels):
    firing = am_alert()
    receive(session, hub, firing)
    deliver(session, hub, channels)
    alert_id = notifications(session)[0].alert_id
    director = make_user(session, Role.admin, full_name="Olga Ivanova")
    alert_service.acknowledge_alert(session, alert_id=alert_id, user_id=director.id,
                                    channel="telegram")  # fmt: skip
    deliver(session, hub, channels)  # the acknowledgement edits the messages too
    receive(session, hub, resolved(firing, timedelta(minutes=42)))
    deliver(session, hub, channels)
    sent_ids = {(n.telegram_chat_id, n.telegram_message_id) for n in notifications(session)
                if n.kind.value == "firing" and n.channel == "telegram"}  # fmt: skip
    edits = fakes.bot.sent("editMessageText")
    assert len(edits) == 4  # acknowledged, then resolved, for each of the two messages
    assert {(e.body["chat_id"], e.body["message_id"]) for e in edits} == sent_ids
    final = edits[-1].body
    assert "RESOLVED CRITICAL: DatabaseDown" in final["text"]
    assert "after 42 min" in final["text"]
    assert "Acknowledged by Olga Ivanova" in final["text"]
    assert final["reply_markup"]["inline_keyboard"] == []
    acked = edits[0].body
    assert "Acknowledged by Olga Ivanova" in acked["text"]
    assert [
        [b["callback_data"] for b in row] for row in acked["reply_markup"]["inline_keyboard"]
    ] == [[f"alert:sil:{alert_id}:1h", f"alert:sil:{alert_id}:4h", f"alert:sil:{alert_id}:res"]]
    assert len(fakes.bot.sent()) == 2  # no new messages


def test_info_alerts_wait_for_one_daily_digest_in_the_quiet_chat(session, hub, fakes, channels):
    receive(session, hub, am_alert("BackupCompleted", severity="info"),
            am_alert("DeployFinished", severity="info", instance="app:8000"))  # fmt: skip
    assert deliver(session, hub, channels) == 0
    assert fakes.bot.calls == []
    assert delivery.send_digest(session, hub, channels, checkpoint=session.commit) == 2
    (call,) = fakes.bot.sent()
    assert call.body["chat_id"] == -600
    assert "Daily digest: 2 info alerts" in call.body["text"]
    assert "BackupCompleted" in call.body["text"]
    assert "DeployFinished" in call.body["text"]
    states = {n.state for n in notifications(session)}
    assert states == {NotificationState.delivered}
    assert delivery.send_digest(session, hub, channels, checkpoint=session.commit) == 0
    receive(
        session, hub, resolved(am_alert("BackupCompleted", severity="info"), timedelta(minutes=1))
    )
    assert deliver(session, hub, channels) == 0  # no message per resolved info alert
    assert len(fakes.bot.calls) == 1
