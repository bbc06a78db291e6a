"""Telegram's 429 `retry_after` honoured before the next try, and notifications whose whole
chain failed sent again by the `alerts_retry` job — with a doubling wait, every round
recorded, delivered once when the servers are back, and no longer once the alert is
acknowledged or the notification too old."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alert_hub import am_alert, hub_settings, payload
from builders import make_user
from oversight.alerts import delivery, intake, tasks
from oversight.alerts import service as alert_service
from oversight.alerts.models import AlertNotification, DeliveryAttempt, NotificationState
from oversight.vocabulary import Role

ONCALL_ONLY = {
    "critical": {"targets": ["oncall"]},
    "warning": {"targets": ["oncall"]},
    "info": {"targets": ["digest"]},
}
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def single(settings, fakes, alertmanager):
    """The hub with one notification per alert: to the person on call."""
    return hub_settings(settings, fakes, alertmanager.url, routes=ONCALL_ONLY)


def receive(session, settings, now, **labels):
    body = json.dumps(payload(am_alert(starts_at=now, **labels))).encode()
    intake.ingest(session, settings, intake.parse_payload(body), now=now)


def the_notification(session) -> AlertNotification:
    return session.scalars(select(AlertNotification)).one()


def rounds(session) -> list[tuple[int, str, bool]]:
    rows = session.scalars(select(DeliveryAttempt).order_by(DeliveryAttempt.id)).all()
    return [(a.round, a.channel, a.ok) for a in rows]


def chain_down(fakes, down: bool) -> None:
    fakes.bot.down = fakes.whatsapp.down = fakes.mailbox.refuse = down


@pytest.mark.parametrize(("asked", "waited"), [(7, 7.0), (600, 30.0)], ids=["asked", "capped"])
def test_a_429_waits_the_retry_after_telegram_asks_for_then_delivers(
    session, single, fakes, sleeps, channels, asked, waited
):
    fakes.bot.throttle(asked)
    receive(session, single, T0, severity="warning")
    assert delivery.deliver_pending(session, single, channels, checkpoint=session.commit) == 1
    assert sleeps == [waited]  # not the 0.5 s backoff: what Telegram asked (at most 30 s)
    assert len(fakes.bot.sent()) == 2  # the refused try and the one that went through
    notification = the_notification(session)
    assert (notification.state, notification.channel) == (NotificationState.delivered, "telegram")
    errors = session.scalars(select(DeliveryAttempt.error).order_by(DeliveryAttempt.id)).all()
    assert errors == [f"HTTP 429: retry after {asked} s", None]


def test_a_chain_down_is_retried_with_a_doubling_wait_and_delivered_once_when_it_is_back(
    session, single, fakes, channels
):
    clock = Clock(T0)
    run = lambda: tasks.retry_failed(session, settings=single, clock=clock, channels=channels)  # noqa: E731
    chain_down(fakes, True)
    receive(session, single, clock.now)
    tasks.escalate_and_deliver(session, settings=single, clock=clock, channels=channels)
    notification = the_notification(session)
    assert notification.state is NotificationState.failed
    assert notification.retry_at == T0 + timedelta(minutes=2)
    assert rounds(session) == [(0, "telegram", False)] * 3 + [
        (0, "email", False),
        (0, "whatsapp", False),
    ]

    clock.now = T0 + timedelta(minutes=1, seconds=59)
    assert run() == 0  # not due yet
    assert len(rounds(session)) == 5
    clock.now = T0 + timedelta(minutes=2)
    assert run() == 0  # still down: round 1 fails, the next wait is twice as long
    assert (notification.retries, notification.retry_at) == (1, clock.now + timedelta(minutes=4))
    assert [r for r in rounds(session) if r[0] == 1][-1] == (1, "whatsapp", False)

    chain_down(fakes, False)
    fakes.bot.calls.clear()
    clock.now += timedelta(minutes=4)
    assert run() == 1
    assert (notification.state, notification.channel) == (NotificationState.delivered, "telegram")
    assert notification.retry_at is None
    assert rounds(session)[-1] == (2, "telegram", True)
    clock.now += timedelta(hours=1)
    assert run() == 0
    tasks.escalate_and_deliver(session, settings=single, clock=clock, channels=channels)
    firing = [c for c in fakes.bot.sent() if not c.body["text"].startswith("⏫ ESCALATED")]
    assert len(firing) == 1  # delivered once: no duplicate from either job
    assert fakes.mailbox.messages == []  # Telegram took it: no e-mail fallback this time


def test_an_acknowledged_alert_is_not_retried(session, single, fakes, channels):
    clock = Clock(T0)
    chain_down(fakes, True)
    receive(session, single, clock.now)
    delivery.deliver_pending(session, single, channels, checkpoint=session.commit, now=clock)
    notification = the_notification(session)
    alert_service.acknowledge_alert(
        session,
        alert_id=notification.alert_id,
        user_id=make_user(session, Role.admin).id,
        channel="api",
        now=clock.now + timedelta(minutes=1),
    )
    chain_down(fakes, False)
    fakes.bot.calls.clear()
    clock.now += timedelta(minutes=2)
    assert tasks.retry_failed(session, settings=single, clock=clock, channels=channels) == 0
    assert fakes.bot.sent() == []
    assert (notification.state, notification.retry_at) == (NotificationState.failed, None)


def test_a_notification_older_than_the_max_age_is_given_up(
    settings, session, fakes, alertmanager, channels
):
    short = hub_settings(
        settings, fakes, alertmanager.url, routes=ONCALL_ONLY, retry={"max_age_hours": 0.05}
    )
    clock = Clock(T0)
    chain_down(fakes, True)
    receive(session, short, clock.now)
    delivery.deliver_pending(session, short, channels, checkpoint=session.commit, now=clock)
    notification = the_notification(session)
    assert notification.retry_at == T0 + timedelta(minutes=2)  # within the 3 minutes
    clock.now = T0 + timedelta(minutes=2)
    tasks.retry_failed(session, settings=short, clock=clock, channels=channels)
    assert notification.retries == 1
    assert notification.retry_at is None  # a wait of 4 more minutes would pass the max age


def test_info_alerts_are_not_retried(session, single, fakes, channels):
    clock = Clock(T0)
    chain_down(fakes, True)
    receive(session, single, clock.now, severity="info", alertname="DiskSoonFull")
    receive(session, single, clock.now, severity="warning", alertname="Slow", instance="x")
    delivery.deliver_pending(session, single, channels, checkpoint=session.commit, now=clock)
    retried = session.scalars(
        select(AlertNotification.retry_at).where(
            AlertNotification.state == NotificationState.failed
        )
    ).all()
    assert retried == [T0 + timedelta(minutes=2)]  # the warning only (info waits for the digest)


def test_the_retry_job_is_registered(single):
    from oversight.jobs.registry import collect_jobs

    assert collect_jobs(single).get("alerts_retry").schedule == "every 60s"  # type: ignore[union-attr]
