"""POST /api/v1/alerts/alertmanager: Alertmanager's v4 payload stored by fingerprint and
startsAt with its status history, notifications queued by severity, repeats changing nothing,
malformed payloads refused with the reason and nothing stored, the bearer token enforced."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from alert_hub import am_alert, count, intake_headers, payload, resolved
from oversight.alerts.models import (
    Alert,
    AlertNotification,
    AlertStatus,
    AlertStatusChange,
    NotificationKind,
    NotificationState,
)

URL = "/api/v1/alerts/alertmanager"


def _notifications(session) -> list[tuple[str, str, bool, str]]:
    rows = session.scalars(select(AlertNotification).order_by(AlertNotification.id)).all()
    return [(n.target, n.recipient, n.email_only, n.state.value) for n in rows]


def test_a_firing_critical_alert_is_stored_and_routed_to_oncall_and_chat_by_both_channels(
    hub_client, hub, session
):
    # 2026-12-01 is in the first rotation week (from 2026-11-30 09:00 Moscow): Anna is on call.
    response = hub_client.post(URL, json=payload(am_alert()), headers=intake_headers(hub))
    assert response.status_code == 200, response.text
    assert response.json() == {"received": 1, "new": 1, "resolved": 0, "unchanged": 0}
    alert = session.scalars(select(Alert)).one()
    assert (alert.alertname, alert.severity, alert.status) == (
        "DatabaseDown",
        "critical",
        AlertStatus.firing,
    )
    assert alert.labels["instance"] == "db:5432"
    assert alert.annotations["summary"] == "DatabaseDown on db:5432"
    assert alert.starts_at == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert alert.ends_at is None
    history = session.scalars(select(AlertStatusChange)).all()
    assert [(h.status, h.at) for h in history] == [(AlertStatus.firing, alert.starts_at)]
    assert _notifications(session) == [
        ("oncall", "Anna", False, "pending"),
        ("oncall", "Anna", True, "pending"),
        ("oncall_chat", "On-call chat", False, "pending"),
        ("oncall_chat", "On-call chat", True, "pending"),
    ]


@pytest.mark.parametrize(
    ("severity", "expected"),
    [
        ("warning", [("oncall_chat", "On-call chat", False, "pending")]),
        ("info", [("digest", "Quiet chat", False, "held")]),
        ("page-me-maybe", [("oncall_chat", "On-call chat", False, "pending")]),  # as warning
    ],
)
def test_other_severities_follow_their_routes(hub_client, hub, session, severity, expected):
    body = payload(am_alert("DiskAlmostFull", severity=severity))
    assert hub_client.post(URL, json=body, headers=intake_headers(hub)).status_code == 200
    assert _notifications(session) == expected


def test_the_same_payload_twice_changes_nothing(hub_client, hub, session):
    body = payload(am_alert(), am_alert("RedisDown", instance="redis:6379"))
    first = hub_client.post(URL, json=body, headers=intake_headers(hub))
    before = [count(session, model) for model in (Alert, AlertStatusChange, AlertNotification)]
    again = hub_client.post(URL, json=body, headers=intake_headers(hub))
    assert first.json()["new"] == 2
    assert again.json() == {"received": 2, "new": 0, "resolved": 0, "unchanged": 2}
    after = [count(session, model) for model in (Alert, AlertStatusChange, AlertNotification)]
    assert after == before


def test_a_resolution_closes_the_episode_and_queues_updates(hub_client, hub, session):
    firing = am_alert()
    hub_client.post(URL, json=payload(firing), headers=intake_headers(hub))
    done = resolved(firing, timedelta(minutes=42))
    response = hub_client.post(URL, json=payload(done), headers=intake_headers(hub))
    assert response.json()["resolved"] == 1
    alert = session.scalars(select(Alert)).one()
    assert alert.status is AlertStatus.resolved
    assert alert.ends_at == alert.starts_at + timedelta(minutes=42)
    history = session.scalars(select(AlertStatusChange).order_by(AlertStatusChange.id)).all()
    assert [h.status for h in history] == [AlertStatus.firing, AlertStatus.resolved]
    updates = session.scalars(
        select(AlertNotification).where(AlertNotification.kind == NotificationKind.update)
    ).all()
    # One per message of the chain (the e-mail copies are answered by the chain's message).
    assert sorted(u.recipient for u in updates) == ["Anna", "On-call chat"]
    assert {u.state for u in updates} == {NotificationState.pending}
    repeat = hub_client.post(URL, json=payload(done), headers=intake_headers(hub))
    assert repeat.json()["unchanged"] == 1


def test_a_new_firing_of_the_same_fingerprint_is_a_new_episode(hub_client, hub, session):
    first = am_alert()
    later = am_alert(starts_at=datetime(2026, 12, 1, 11, 0, tzinfo=UTC))
    hub_client.post(URL, json=payload(first), headers=intake_headers(hub))
    hub_client.post(
        URL, json=payload(resolved(first, timedelta(minutes=3))), headers=intake_headers(hub)
    )
    hub_client.post(URL, json=payload(later), headers=intake_headers(hub))
    episodes = session.scalars(select(Alert).order_by(Alert.starts_at)).all()
    assert [a.fingerprint for a in episodes] == [first["fingerprint"]] * 2
    assert [a.status for a in episodes] == [AlertStatus.resolved, AlertStatus.firing]


def test_a_resolution_of_an_unknown_episode_is_stored_without_notifying(hub_client, hub, session):
    done = resolved(am_alert(), timedelta(minutes=10))
    response = hub_client.post(URL, json=payload(done), headers=intake_headers(hub))
    assert response.json()["resolved"] == 1
    alert = session.scalars(select(Alert)).one()
    assert alert.ends_at - alert.starts_at == timedelta(minutes=10)
    assert count(session, AlertNotification) == 0


def _without(alert: dict, key: str) -> dict:
    return {k: v for k, v in alert.items() if k != key}


MALFORMED = {
    "not-json": (b"{not json", "body is not JSON"),
    "wrong-version": (json.dumps(payload(am_alert()) | {"version": "3"}).encode(), "version"),
    "no-alerts": (json.dumps(_without(payload(am_alert()), "alerts")).encode(), "alerts"),
    "second-alert-without-fingerprint": (
        json.dumps(payload(am_alert(), _without(am_alert("Other"), "fingerprint"))).encode(),
        "alerts.1.fingerprint",
    ),
    "naive-start": (
        json.dumps(payload(am_alert() | {"startsAt": "2026-12-01T09:00:00"})).encode(),
        "alerts.0.startsAt",
    ),
    "unknown-status": (
        json.dumps(payload(am_alert() | {"status": "burning"}, status="firing")).encode(),
        "alerts.0.status",
    ),
    "no-alertname": (
        json.dumps(payload(am_alert(), am_alert() | {"labels": {"severity": "info"}})).encode(),
        "alerts.1.labels.alertname",
    ),
    "labels-not-strings": (
        json.dumps(payload(am_alert() | {"labels": {"alertname": "X", "n": [1]}})).encode(),
        "alerts.0.labels.n",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_payload_is_400_naming_the_problem_logged_and_stores_nothing(
    hub_client, hub, session, json_logs, case
):
    body, named = MALFORMED[case]
    headers = intake_headers(hub) | {"Content-Type": "application/json"}
    response = hub_client.post(URL, content=body, headers=headers)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "malformed_payload"
    assert named in error["message"]
    assert count(session, Alert) == 0
    assert count(session, AlertNotification) == 0
    logged = [
        line
        for line in json_logs()
        if line.get("action") == "alertmanager_payload_rejected"
        or line.get("event") == "alertmanager_payload_rejected"
    ]
    assert logged
    assert named in str(logged[0])


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-of-the-right-length-000", "Basic abc"],
    ids=["none", "wrong", "other-scheme"],
)
def test_the_intake_refuses_a_missing_or_wrong_token(hub_client, session, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = hub_client.post(URL, json=payload(am_alert()), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert count(session, Alert) == 0


def test_without_a_configured_token_the_intake_is_closed(client, session):
    response = client.post(URL, json=payload(am_alert()), headers={"Authorization": "Bearer x"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "intake_not_configured"
    assert "OVERSIGHT_ALERTS__INTAKE_TOKEN" in response.json()["error"]["message"]
    assert count(session, Alert) == 0


def test_a_non_json_content_type_meets_the_json_body_guard(hub_client, hub, session):
    response = hub_client.post(
        URL, content=b"alert=1", headers=intake_headers(hub) | {"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
