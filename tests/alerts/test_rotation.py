"""The on-call rotation stored through the API: edited by an administrator, audited, refused
with a message naming the problem, and — while it exists — the one the hub resolves for
routing, escalation, the API and the bot (over the settings' rotation)."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from alert_hub import am_alert, payload
from builders import make_user
from oversight.alerts import intake, rotation, tasks
from oversight.alerts import service as alert_service
from oversight.alerts.models import Alert, AlertNotification, NotificationKind
from oversight.alerts.oncall import stored_oncall_at
from oversight.alerts.rotation import StandIn, StoredRotation
from oversight.alerts.schemas import RotationWrite
from oversight.audit.models import AuditEvent
from oversight.config import Contact
from oversight.telegram.models import TelegramLink
from oversight.vocabulary import Role

ROTATION = "/api/v1/alerts/oncall/rotation"
MSK = timedelta(hours=3)
_telegram_ids = itertools.count(7_000_000)


def at(text: str) -> datetime:
    """A Moscow wall-clock time as an aware UTC instant."""
    return (datetime.fromisoformat(text) - MSK).replace(tzinfo=UTC)


def member(session, name: str, *, chat: int | None = None, email: bool = True, **fields):
    """An engineer called `name`, reachable by Telegram (`chat`) and/or e-mail."""
    n = next(_telegram_ids)
    user = make_user(
        session,
        Role.engineer,
        username=f"{name.lower()}{n}",
        full_name=name,
        email=f"{name.lower()}{n}@ops.test" if email else None,
        **fields,
    )
    if chat is not None:
        session.add(TelegramLink(user_id=user.id, telegram_user_id=n, chat_id=chat))
        session.flush()
    return user


@pytest.fixture
def team(session):
    return {
        "ivan": member(session, "Ivan", chat=2001),
        "olga": member(session, "Olga", chat=2002, email=False),
        "petr": member(session, "Petr", email=True),
    }


def rotation_body(team, **changes):
    return {
        "people": [team["ivan"].username, team["olga"].username, team["petr"].username],
        "first_handover": "2026-11-30T09:00:00",  # a Monday, company time (Moscow)
        "shift_hours": 168,
    } | changes


def test_an_admin_stores_a_rotation_that_wins_over_the_settings_and_is_audited(
    hub_client, session, auth, team
):
    admin = make_user(session, Role.admin)
    before = hub_client.get("/api/v1/alerts/oncall/rotation", headers=auth(admin)).json()
    assert before["source"] == "settings"
    assert [p["name"] for p in before["people"]] == ["Anna", "Boris", "Vera"]

    response = hub_client.put(ROTATION, json=rotation_body(team), headers=auth(admin))
    assert response.status_code == 200, response.text
    stored = response.json()
    assert stored["source"] == "api"
    assert [(p["name"], p["telegram"], p["email"]) for p in stored["people"]] == [
        ("Ivan", True, True),
        ("Olga", True, False),
        ("Petr", False, True),
    ]
    assert stored["first_handover"].startswith("2026-11-30T06:00:00")  # 09:00 Moscow in UTC
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "alerts.oncall_set")
    ).one()
    assert event.actor_id == admin.id
    assert team["olga"].username in json.loads(event.changes)["people"]
    now = hub_client.get("/api/v1/alerts/oncall", headers=auth(admin)).json()
    assert now["name"] in {"Ivan", "Olga", "Petr"}

    cleared = hub_client.delete(ROTATION, headers=auth(admin))
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["source"] == "settings"
    assert hub_client.delete(ROTATION, headers=auth(admin)).status_code == 404


def test_a_director_reads_the_rotation_but_may_not_change_it(hub_client, session, auth, team):
    director = make_user(session, Role.director)
    assert hub_client.get(ROTATION, headers=auth(director)).status_code == 200
    response = hub_client.put(ROTATION, json=rotation_body(team), headers=auth(director))
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: {"people": []}, "people: the rotation is empty"),
        (lambda t: {"people": ["nobody-here"]}, "people.0: no user named 'nobody-here'"),
        (
            lambda t: {"people": [t["ivan"].username, t["ivan"].username]},
            "people.1: '{ivan}' is listed twice",
        ),
        (
            lambda t: {"people": [t["ivan"].username, t["mute"].username]},
            "people.1: user '{mute}' has neither a linked Telegram account nor an e-mail",
        ),
        (
            lambda t: {"people": [t["gone"].username]},
            "people.0: user '{gone}' is disabled",
        ),
        (
            lambda t: {
                "stand_ins": [
                    {
                        "person": t["petr"].username,
                        "starts_at": "2026-12-08T09:00",
                        "ends_at": "2026-12-09T09:00",
                    },
                    {
                        "person": t["olga"].username,
                        "starts_at": "2026-12-09T08:00",
                        "ends_at": "2026-12-10T09:00",
                    },
                ]
            },
            "stand_ins.1 ({olga}, 2026-12-09T08:00:00+03:00 to 2026-12-10T09:00:00+03:00) "
            "overlaps stand_ins.0",
        ),
        (
            lambda t: {
                "stand_ins": [
                    {
                        "person": t["petr"].username,
                        "starts_at": "2026-12-08T09:00",
                        "ends_at": "2026-12-08T09:00",
                    },
                ]
            },
            "stand_ins.0: ends_at (2026-12-08T09:00:00+03:00) must be after starts_at",
        ),
    ],
    ids=["empty", "unknown", "twice", "unreachable", "disabled", "overlap", "backwards"],
)
def test_a_bad_rotation_is_refused_naming_the_problem_and_nothing_is_stored(
    hub_client, session, auth, team, change, message
):
    team = team | {
        "mute": member(session, "Mute", email=False),
        "gone": member(session, "Gone", is_active=False),
    }
    admin = make_user(session, Role.admin)
    response = hub_client.put(
        ROTATION, json=rotation_body(team, **change(team)), headers=auth(admin)
    )
    assert response.status_code == 422, response.text
    expected = message.format(**{key: user.username for key, user in team.items()})
    assert expected in response.json()["error"]["message"]
    assert hub_client.get(ROTATION, headers=auth(admin)).json()["source"] == "settings"


def _stored(people, *, first="2026-11-30 09:00", hours=168, stand_ins=()):
    return StoredRotation(
        people=tuple(Contact(name=name) for name in people),
        usernames=tuple(name.lower() for name in people),
        first_handover=at(first),
        shift=timedelta(hours=hours),
        stand_ins=tuple(stand_ins),
        updated_at=at(first),
        updated_by_id=None,
    )


@pytest.mark.parametrize(
    ("moment", "person", "following", "until"),
    [
        ("2026-11-30 09:00", "Ivan", "Olga", "2026-12-01 09:00"),
        ("2026-12-01 08:59", "Ivan", "Olga", "2026-12-01 09:00"),
        ("2026-12-01 09:00", "Olga", "Ivan", "2026-12-02 09:00"),
        ("2026-12-02 10:00", "Ivan", "Olga", "2026-12-03 09:00"),
        ("2026-11-29 10:00", "Olga", "Ivan", "2026-11-30 09:00"),  # before the first turn
    ],
)
def test_daily_shifts_hand_over_at_the_stored_time(moment, person, following, until):
    duty = stored_oncall_at(
        _stored(["Ivan", "Olga"], hours=24), ZoneInfo("Europe/Moscow"), at(moment)
    )
    assert (duty.person.name, duty.next_person.name, duty.until) == (person, following, at(until))  # type: ignore[union-attr]


def test_whole_day_shifts_keep_the_wall_clock_across_daylight_saving():
    berlin = ZoneInfo("Europe/Berlin")
    stored = StoredRotation(
        people=(Contact(name="Ivan"), Contact(name="Olga")),
        usernames=("ivan", "olga"),
        first_handover=datetime(2026, 3, 23, 9, 0, tzinfo=berlin),  # before the change on 29.03
        shift=timedelta(days=7),
        stand_ins=(),
        updated_at=datetime(2026, 3, 1, tzinfo=UTC),
        updated_by_id=None,
    )
    duty = stored_oncall_at(stored, berlin, datetime(2026, 3, 30, 7, 30, tzinfo=UTC))  # 09:30 CEST
    assert duty.person.name == "Olga"
    assert duty.until == datetime(2026, 4, 6, 9, 0, tzinfo=berlin)


def test_a_stand_in_takes_over_and_shortens_the_turn_before_it():
    vera = Contact(name="Vera")
    stored = _stored(
        ["Ivan", "Olga"],
        stand_ins=[StandIn(vera, "vera", at("2026-12-02 18:00"), at("2026-12-03 09:00"))],
    )
    zone = ZoneInfo("Europe/Moscow")
    before = stored_oncall_at(stored, zone, at("2026-12-02 12:00"))
    during = stored_oncall_at(stored, zone, at("2026-12-02 23:00"))
    assert (before.person.name, before.next_person.name, before.until) == (  # type: ignore[union-attr]
        "Ivan",
        "Vera",
        at("2026-12-02 18:00"),
    )
    assert (during.person.name, during.next_person.name, during.until) == (  # type: ignore[union-attr]
        "Vera",
        "Ivan",
        at("2026-12-03 09:00"),
    )


def test_routing_escalation_and_the_resolver_follow_the_stored_rotation(
    session, hub, channels, fakes, team, monkeypatch
):
    """Ivan's week (stored) instead of Anna's (settings): the critical alert reaches Ivan's
    linked chat, and the escalation goes to Olga, the next of the stored rotation."""

    rotation.replace(session, settings=hub, body=RotationWrite.model_validate(rotation_body(team)))
    now = at("2026-12-01 12:00")
    assert alert_service.oncall_now(session, settings=hub, now=now).person.name == "Ivan"  # type: ignore[union-attr]
    body = json.dumps(payload(am_alert(starts_at=now))).encode()
    intake.ingest(session, hub, intake.parse_payload(body), now=now)
    clock = lambda: now  # noqa: E731
    tasks.escalate_and_deliver(session, settings=hub, clock=clock, channels=channels)
    assert 2001 in [c.body["chat_id"] for c in fakes.bot.sent()]  # Ivan's linked chat
    assert [team["ivan"].email] in fakes.mailbox.recipients  # the e-mail copy, to Ivan
    now += timedelta(minutes=15)
    tasks.escalate_and_deliver(session, settings=hub, clock=clock, channels=channels)
    escalation = session.scalars(
        select(AlertNotification).where(AlertNotification.kind == NotificationKind.escalation)
    ).one()
    assert (escalation.recipient, escalation.state.value) == ("Olga", "delivered")
    assert [c.body["chat_id"] for c in fakes.bot.sent()].count(2002) == 1
    assert session.scalars(select(Alert)).all()[-1].escalation_level == 1


def test_a_member_disabled_since_is_skipped_and_nobody_is_paged_when_all_are(session, hub, team):
    rotation.replace(session, settings=hub, body=RotationWrite.model_validate(rotation_body(team)))
    now = at("2026-12-01 12:00")  # Ivan's week
    team["ivan"].is_active = False
    session.flush()
    duty = alert_service.oncall_now(session, settings=hub, now=now)
    assert duty is not None
    assert duty.person.name in {"Olga", "Petr"}
    assert "Ivan" not in alert_service.rotation_order(session, settings=hub)
    for user in team.values():
        user.is_active = False
    session.flush()
    assert alert_service.oncall_now(session, settings=hub, now=now) is None
