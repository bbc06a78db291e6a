"""Acknowledging and silencing, from the API and from a message button (the functions the
bot calls): who and when recorded and audited, real silences in a real Alertmanager with the
alert's labels as matchers, expired when the alert resolves; buttons that are too old,
unknown, or pressed by a role that may not, change nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alert_hub import am_alert, hub_settings, payload, resolved
from builders import make_user
from oversight.alerts import delivery, intake
from oversight.alerts import service as alert_service
from oversight.alerts.models import Alert, AlertNotification, AlertSilence, NotificationKind
from oversight.audit.models import AuditEvent
from oversight.vocabulary import Role

NOW = datetime(2026, 12, 1, 9, 5, tzinfo=UTC)


def receive(session, settings, *alerts) -> Alert:
    intake.ingest(session, settings, intake.parse_payload(json.dumps(payload(*alerts)).encode()))
    return session.scalars(select(Alert).order_by(Alert.id.desc())).first()


def press(session, hub, user, data, *, sent_at=NOW, now=NOW + timedelta(minutes=2)) -> str:
    return alert_service.handle_alert_button(
        session, user_id=user.id, data=data, sent_at=sent_at, settings=hub, now=now
    )


def test_the_acknowledge_button_records_who_and_when_once(session, hub):
    alert = receive(session, hub, am_alert())
    first, second = make_user(session, Role.admin), make_user(session, Role.project_manager)
    assert press(session, hub, first, f"alert:ack:{alert.id}") == f"Acknowledged alert #{alert.id}."
    assert (alert.acknowledged_by_id, alert.acknowledged_via) == (first.id, "telegram")
    assert alert.acknowledged_at == NOW + timedelta(minutes=2)
    answer = press(session, hub, second, f"alert:ack:{alert.id}", now=NOW + timedelta(minutes=5))
    assert answer == f"Alert #{alert.id} was already acknowledged."
    assert alert.acknowledged_by_id == first.id
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "alert.acknowledged"))
    assert [(e.actor_id, e.entity_id) for e in events] == [(first.id, str(alert.id))]


@pytest.mark.parametrize(
    ("data", "answer"),
    [
        ("alert:ack:999999", "That alert no longer exists."),
        ("alert:zap:1", "Unknown button."),
        ("alert:sil:1:2h", "Unknown button."),
        ("ack:1", "Unknown button."),
    ],
)
def test_unknown_buttons_and_alerts_get_a_short_answer(session, hub, data, answer):
    assert press(session, hub, make_user(session, Role.admin), data) == answer


def test_a_button_older_than_the_window_is_expired_and_changes_nothing(session, hub):
    alert = receive(session, hub, am_alert())
    admin = make_user(session, Role.admin)
    sent = NOW - timedelta(hours=hub.alerts.button_window_hours, minutes=1)
    assert press(session, hub, admin, f"alert:ack:{alert.id}", sent_at=sent, now=NOW) == "expired"
    assert alert.acknowledged_at is None


@pytest.mark.parametrize(
    "role", [Role.director, Role.accountant, Role.engineer, Role.client, Role.viewer]
)
def test_roles_that_may_not_act_on_alerts_are_refused_by_the_buttons(session, hub, role):
    alert = receive(session, hub, am_alert())
    user = make_user(session, role)
    assert press(session, hub, user, f"alert:ack:{alert.id}") == "You may not do that."
    assert press(session, hub, user, f"alert:sil:{alert.id}:1h") == "You may not do that."
    assert alert.acknowledged_at is None
    assert session.scalars(select(AlertSilence)).all() == []


def test_a_disabled_user_is_refused(session, hub):
    alert = receive(session, hub, am_alert())
    user = make_user(session, Role.admin, is_active=False)
    assert press(session, hub, user, f"alert:ack:{alert.id}") == "You may not do that."


def _matchers(silence: dict) -> dict[str, str]:
    assert all(m["isEqual"] and not m["isRegex"] for m in silence["matchers"])
    return {m["name"]: m["value"] for m in silence["matchers"]}


def test_the_silence_buttons_create_real_alertmanager_silences_with_the_labels(
    session, hub, alertmanager
):
    alert = receive(session, hub, am_alert(instance=f"db-{id(session)}:5432"))
    pm = make_user(session, Role.project_manager)
    now = datetime.now(UTC)
    answer = press(session, hub, pm, f"alert:sil:{alert.id}:4h", sent_at=now, now=now)
    assert answer == f"Silenced alert #{alert.id} for 4h."
    (silence,) = session.scalars(select(AlertSilence)).all()
    seen = alertmanager.silence(silence.silence_id)
    assert seen["status"]["state"] == "active"
    assert _matchers(seen) == alert.labels
    ends = datetime.fromisoformat(seen["endsAt"].replace("Z", "+00:00"))
    assert abs(ends - (now + timedelta(hours=4))) < timedelta(seconds=2)
    assert seen["createdBy"] == f"oversight:{pm.username}"
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "alert.silenced"))
    assert [e.actor_id for e in events] == [pm.id]


def test_a_silence_until_resolved_is_expired_when_the_alert_resolves(
    session, hub, alertmanager, channels
):
    firing = am_alert(instance=f"db-{id(session)}:5433")
    alert = receive(session, hub, firing)
    admin = make_user(session, Role.admin)
    now = datetime.now(UTC)
    assert press(session, hub, admin, f"alert:sil:{alert.id}:res", sent_at=now, now=now) == (
        f"Silenced alert #{alert.id} until resolved."
    )
    (silence,) = session.scalars(select(AlertSilence)).all()
    assert silence.until_resolved
    assert alertmanager.silence(silence.silence_id)["status"]["state"] == "active"
    receive(session, hub, resolved(firing, timedelta(minutes=20)))
    delivery.deliver_pending(session, hub, channels, checkpoint=session.commit)
    assert silence.expired_at is not None
    assert alertmanager.silence(silence.silence_id)["status"]["state"] == "expired"


def test_an_unreachable_alertmanager_stores_no_silence(session, settings, fakes):
    hub = hub_settings(settings, fakes, "http://127.0.0.1:9")  # discard port: refused
    alert = receive(session, hub, am_alert())
    admin = make_user(session, Role.admin)
    answer = press(session, hub, admin, f"alert:sil:{alert.id}:1h")
    assert answer == "Alertmanager did not accept the silence; try again or use amtool."
    assert session.scalars(select(AlertSilence)).all() == []


# --- the API ------------------------------------------------------------------------------


def test_acknowledge_through_the_api(hub_client, session, hub, auth):
    alert = receive(session, hub, am_alert())
    pm = make_user(session, Role.project_manager)
    response = hub_client.post(f"/api/v1/alerts/{alert.id}/ack", headers=auth(pm))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["acknowledged_by_id"], body["acknowledged_via"]) == (pm.id, "api")
    listed = hub_client.get("/api/v1/alerts?acknowledged=true", headers=auth(pm)).json()
    assert [item["id"] for item in listed["items"]] == [alert.id]


def test_silence_through_the_api_is_visible_in_alertmanager(
    hub_client, session, hub, auth, alertmanager
):
    alert = receive(session, hub, am_alert(instance=f"db-{id(session)}:5434"))
    admin = make_user(session, Role.admin)
    response = hub_client.post(
        f"/api/v1/alerts/{alert.id}/silence", json={"duration": "1h"}, headers=auth(admin)
    )
    assert response.status_code == 201, response.text
    silence_id = response.json()["silence_id"]
    assert _matchers(alertmanager.silence(silence_id)) == alert.labels


def test_silence_through_the_api_when_alertmanager_is_down_is_502_and_stores_nothing(
    client_for, settings, fakes, session, auth
):
    hub = hub_settings(settings, fakes, "http://127.0.0.1:9")
    client = client_for("alerts-am-down", hub)
    alert = receive(session, hub, am_alert())
    response = client.post(
        f"/api/v1/alerts/{alert.id}/silence",
        json={"duration": "4h"},
        headers=auth(make_user(session, Role.admin)),
    )
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "silence_failed"
    assert session.scalars(select(AlertSilence)).all() == []


def test_an_unknown_silence_length_is_422(hub_client, session, hub, auth):
    alert = receive(session, hub, am_alert())
    response = hub_client.post(
        f"/api/v1/alerts/{alert.id}/silence",
        json={"duration": "2h"},
        headers=auth(make_user(session, Role.admin)),
    )
    assert response.status_code == 422


def test_acknowledging_queues_edits_only_of_telegram_messages(session, hub, channels, fakes):
    alert = receive(session, hub, am_alert())
    delivery.deliver_pending(session, hub, channels, checkpoint=session.commit)
    alert_service.acknowledge_alert(
        session, alert_id=alert.id, user_id=make_user(session, Role.admin).id, channel="api"
    )
    updates = session.scalars(
        select(AlertNotification).where(AlertNotification.kind == NotificationKind.update)
    ).all()
    assert sorted(u.recipient for u in updates) == ["Anna", "On-call chat"]
