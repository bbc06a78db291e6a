"""Every 403 of the analytics API leaves one `access.denied` audit event, like any other route:
who (user and role), what (resource and action), from where (client IP) and which request."""

from __future__ import annotations

import json

from sqlalchemy import select

from builders import make_user
from oversight.audit.models import AuditEvent
from oversight.auth.permissions import PERMISSIONS, Action, Resource
from oversight.vocabulary import Role

# one endpoint of each family an engineer (analytics_people only) may not read
REFUSED_TO_AN_ENGINEER = {
    "/api/v1/analytics/open-requests": "analytics_desk",
    "/api/v1/analytics/revenue": "analytics_finance",
    "/api/v1/analytics/projects/1.txt": "analytics_desk",
    "/api/v1/analytics/charts/open-requests.png": "analytics_desk",
    "/api/v1/analytics/charts/margins.png": "analytics_finance",
}
SUMMARIES = ["/api/v1/analytics/summary", "/api/v1/analytics/summary.txt"]


def _denials(session) -> list[AuditEvent]:
    return list(
        session.scalars(
            select(AuditEvent).where(AuditEvent.action == "access.denied").order_by(AuditEvent.id)
        )
    )


def _refused_once(client, session, auth, user, path: str) -> AuditEvent:
    before = len(_denials(session))
    response = client.get(path, headers=auth(user))
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "permission_denied"
    denials = _denials(session)
    assert len(denials) == before + 1, path
    event = denials[-1]
    assert (event.actor_type, event.actor_id, event.actor_name, event.actor_role) == (
        "user",
        user.id,
        user.username,
        user.role.value,
    )
    assert event.client_ip == "testclient"
    assert event.request_id == response.headers["x-request-id"]
    return event


def test_every_analytics_refusal_is_audited(client, session, auth):
    engineer = make_user(session, Role.engineer)
    for path, resource in REFUSED_TO_AN_ENGINEER.items():
        event = _refused_once(client, session, auth, engineer, path)
        assert event.entity_type == resource
        assert json.loads(event.changes) == {"resource": resource, "action": "read"}


def test_a_role_without_any_analytics_section_is_refused_the_summary_and_audited(
    client, session, auth, monkeypatch
):
    # every role reads some section today; a role that reads none must be refused and audited
    monkeypatch.setitem(PERMISSIONS, Role.engineer, {Resource.customers: frozenset({Action.read})})
    engineer = make_user(session, Role.engineer)
    for path in SUMMARIES:
        event = _refused_once(client, session, auth, engineer, path)
        assert json.loads(event.changes) == {"resource": "analytics", "action": "read"}


def test_analytics_the_role_may_read_leave_no_denial(client, session, auth):
    engineer = make_user(session, Role.engineer)
    for path in ["/api/v1/analytics/utilization", *SUMMARIES]:
        assert client.get(path, headers=auth(engineer)).status_code == 200, path
    assert _denials(session) == []
