"""The rotation (weekly hand-over in the company's time zone, or explicit shifts) and the
escalation job with an injected clock: unacknowledged critical alerts go to the next person
after `ack_minutes`, then to the admin; an acknowledgement stops it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alert_hub import am_alert, hub_settings, payload
from builders import make_user
from oversight.alerts import intake, tasks
from oversight.alerts import service as alert_service
from oversight.alerts.models import Alert, AlertNotification, NotificationKind
from oversight.alerts.oncall import oncall_at
from oversight.vocabulary import Role

MSK = timedelta(hours=3)


def at(text: str) -> datetime:
    """A Moscow wall-clock time as an aware UTC instant."""
    return (datetime.fromisoformat(text) - MSK).replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "person", "following"),
    [
        ("2026-11-30 09:00", "Anna", "Boris"),  # the first hand-over
        ("2026-12-07 08:59", "Anna", "Boris"),
        ("2026-12-07 09:00", "Boris", "Vera"),
        ("2026-12-14 12:00", "Vera", "Anna"),
        ("2026-12-21 09:00", "Anna", "Boris"),  # round again
        ("2026-11-30 08:00", "Vera", "Anna"),  # the week before the start
    ],
)
def test_the_weekly_rotation_hands_over_on_monday_at_nine_company_time(
    hub, moment, person, following
):
    rotation = oncall_at(hub, at(moment))
    assert rotation is not None
    assert (rotation.person.name, rotation.next_person.name) == (person, following)  # type: ignore[union-attr]
    assert rotation.until is not None
    assert rotation.until.astimezone(UTC).weekday() == 0


def test_explicit_shifts_override_the_weekly_turns(settings, fakes, alertmanager):
    hub = hub_settings(
        settings,
        fakes,
        alertmanager.url,
        oncall={
            "people": [{"name": "Anna"}, {"name": "Boris"}, {"name": "Vera"}],
            "rotation_start": "2026-11-30",
            "shifts": [
                {"name": "Vera", "starts_at": "2026-12-02T18:00:00+03:00"},
                {"name": "Boris", "starts_at": "2026-12-03T09:00:00+03:00"},
            ],
        },
    )
    before = oncall_at(hub, at("2026-12-02 17:59"))
    during = oncall_at(hub, at("2026-12-02 23:00"))
    after = oncall_at(hub, at("2026-12-03 10:00"))
    assert before is not None
    assert before.person.name == "Anna"
    assert during is not None
    assert (during.person.name, during.next_person.name) == ("Vera", "Boris")  # type: ignore[union-attr]
    assert during.until == datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
    assert after is not None
    assert (after.person.name, after.until) == ("Boris", None)


def test_oncall_now_without_people_is_none(session, settings):
    assert alert_service.oncall_now(session, settings=settings) is None


def test_a_shift_naming_someone_unknown_is_refused(settings, fakes, alertmanager):
    with pytest.raises(ValueError, match="is not one of the people"):
        hub_settings(
            settings,
            fakes,
            alertmanager.url,
            oncall={
                "people": [{"name": "Anna"}],
                "shifts": [{"name": "Zed", "starts_at": "2026-12-02T18:00:00+03:00"}],
            },
        )


class Clock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def _escalations(session) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(AlertNotification)
        .where(AlertNotification.kind == NotificationKind.escalation)
        .order_by(AlertNotification.id)
    ).all()
    return [(n.target, n.recipient) for n in rows]


def _receive(session, hub, now, **labels):
    body = json.dumps(payload(am_alert(**labels))).encode()
    intake.ingest(session, hub, intake.parse_payload(body), now=now)
    return session.scalars(select(Alert).order_by(Alert.id.desc())).first()


def test_an_unacknowledged_critical_alert_goes_to_the_next_person_then_the_admin(
    session, hub, channels, fakes
):
    clock = Clock(at("2026-12-01 12:00"))  # Anna's week
    alert = _receive(session, hub, clock.now)
    run = lambda: tasks.escalate_and_deliver(session, settings=hub, clock=clock, channels=channels)  # noqa: E731
    run()
    clock.now += timedelta(minutes=14, seconds=59)
    run()
    assert _escalations(session) == []
    clock.now += timedelta(seconds=1)
    run()
    assert _escalations(session) == [("oncall", "Boris")]
    assert alert.escalation_level == 1
    boris = [c for c in fakes.bot.sent() if c.body["chat_id"] == 1002]
    assert len(boris) == 1
    assert "ESCALATED" in boris[0].body["text"]
    clock.now += timedelta(minutes=15)
    run()
    assert _escalations(session) == [("oncall", "Boris"), ("admin", "Admin")]
    clock.now += timedelta(hours=2)
    run()
    assert len(_escalations(session)) == 2  # the admin is the last step
    assert [c.body["chat_id"] for c in fakes.bot.sent()].count(1009) == 1


def test_an_acknowledgement_stops_the_escalation(session, hub, channels):
    clock = Clock(at("2026-12-01 12:00"))
    alert = _receive(session, hub, clock.now)
    clock.now += timedelta(minutes=10)
    alert_service.acknowledge_alert(
        session,
        alert_id=alert.id,
        user_id=make_user(session, Role.admin).id,
        channel="api",
        now=clock.now,
    )
    clock.now += timedelta(hours=1)
    tasks.escalate_and_deliver(session, settings=hub, clock=clock, channels=channels)
    assert _escalations(session) == []


def test_warnings_do_not_escalate(session, hub, channels):
    clock = Clock(at("2026-12-01 12:00"))
    _receive(session, hub, clock.now, severity="warning")
    clock.now += timedelta(hours=1)
    tasks.escalate_and_deliver(session, settings=hub, clock=clock, channels=channels)
    assert _escalations(session) == []


def test_the_jobs_are_registered(hub):
    from oversight.jobs.registry import collect_jobs

    jobs = collect_jobs(hub)
    assert jobs.get("alerts_escalate").schedule == "every 60s"  # type: ignore[union-attr]
    assert jobs.get("alerts_digest").schedule == "cron 0 9 * * *"  # type: ignore[union-attr]
