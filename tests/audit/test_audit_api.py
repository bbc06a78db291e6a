from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest

from builders import make_customer, make_project, make_request, make_user
from oversight.audit import chain
from oversight.audit.repository import AuditFilters, list_events
from oversight.service_requests.models import RequestStatus
from oversight.vocabulary import Role


def test_only_admins_read_the_trail(client, session, auth):
    for role in Role:
        response = client.get("/api/v1/audit", headers=auth(make_user(session, role)))
        assert response.status_code == (200 if role is Role.admin else 403), role


def test_filters_and_cursor_pagination_walk_the_trail_newest_first(client, session, auth):
    admin = make_user(session, Role.admin)
    customers = [make_customer(session, name=f"Paged Audit {n}") for n in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        query = "/api/v1/audit?entity_type=customer&action=customer.create&limit=2"
        page = client.get(query + (f"&cursor={cursor}" if cursor else ""), headers=auth(admin))
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [item["entity_id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    mine = [str(c.id) for c in customers]
    assert [entity for entity in seen if entity in mine] == list(reversed(mine))


def test_filter_by_actor_and_time_range(client, session, auth):
    admin = make_user(session, Role.admin)
    client.post("/api/v1/customers", json={"name": "Filtered Co"}, headers=auth(admin))
    response = client.get(
        f"/api/v1/audit?actor_id={admin.id}&from=2020-01-01T00:00:00Z&to=2100-01-01T00:00:00Z",
        headers=auth(admin),
    )
    actions = [item["action"] for item in response.json()["items"]]
    assert "customer.create" in actions
    assert all(item["actor_id"] == admin.id for item in response.json()["items"])


def test_bad_filter_values_are_422(client, session, auth):
    admin = make_user(session, Role.admin)
    assert client.get("/api/v1/audit?cursor=0", headers=auth(admin)).status_code == 422
    assert client.get("/api/v1/audit?from=yesterday", headers=auth(admin)).status_code == 422
    assert client.get("/api/v1/audit?limit=201", headers=auth(admin)).status_code == 422


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_export_streams_matching_events_and_is_itself_audited(client, session, auth, fmt):
    admin = make_user(session, Role.admin)
    customer = make_customer(session, name="Exported Co")
    response = client.get(
        f"/api/v1/audit/export?format={fmt}&entity_type=customer&entity_id={customer.id}",
        headers=auth(admin),
    )
    assert response.status_code == 200, response.text
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.text)))
    else:
        rows = [json.loads(line) for line in response.text.splitlines()]
    assert [row["action"] for row in rows] == ["customer.create"]
    assert rows[0]["hash"]
    exports = client.get("/api/v1/audit?action=audit.exported", headers=auth(admin)).json()
    assert exports["items"][0]["changes"]["format"] == fmt
    assert exports["items"][0]["changes"]["filters"]["entity_id"] == str(customer.id)


def test_unknown_export_format_is_422(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.get("/api/v1/audit/export?format=xml", headers=auth(admin))
    assert response.status_code == 422
    assert "format" in response.json()["error"]["message"]


def test_history_lists_versions_with_who_and_what(client, session, auth):
    admin = make_user(session, Role.admin)
    created = client.post(
        "/api/v1/customers", json={"name": "Versioned Co"}, headers=auth(admin)
    ).json()
    client.patch(
        f"/api/v1/customers/{created['id']}", json={"address": "2 Main St"}, headers=auth(admin)
    )
    history = client.get(f"/api/v1/customers/{created['id']}/history", headers=auth(admin))
    assert history.status_code == 200
    versions = history.json()["items"]
    assert history.json()["total"] == 2
    assert [v["action"] for v in versions] == ["customer.create", "customer.update"]
    assert versions[1]["changes"] == {"address": [None, "2 Main St"]}
    assert versions[1]["actor_id"] == admin.id


def test_history_of_an_in_scope_record_for_a_project_manager(client, session, auth):
    manager = make_user(session, Role.project_manager)
    project = make_project(session, manager_id=manager.id)
    response = client.get(f"/api/v1/projects/{project.id}/history", headers=auth(manager))
    assert response.status_code == 200
    assert response.json()["items"][0]["action"] == "project.create"


def test_history_outside_scope_is_404_like_a_missing_record(client, session, auth):
    manager = make_user(session, Role.project_manager)
    foreign = make_request(  # assigned on another manager's project: not in the inbox
        session,
        status=RequestStatus.assigned,
        assigned_engineer_id=make_user(session, Role.engineer).id,
    )
    hidden = client.get(f"/api/v1/requests/{foreign.id}/history", headers=auth(manager))
    missing = client.get("/api/v1/requests/99999999/history", headers=auth(manager))
    assert hidden.status_code == missing.status_code == 404


def test_history_needs_read_permission_on_the_resource(client, session, auth):
    contact = make_user(session, Role.client)
    user = make_user(session, Role.engineer)
    response = client.get(f"/api/v1/users/{user.id}/history", headers=auth(contact))
    assert response.status_code == 403


def test_admin_sees_history_of_a_deleted_record(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session, name="Gone Co")
    session.delete(customer)
    session.flush()
    response = client.get(f"/api/v1/customers/{customer.id}/history", headers=auth(admin))
    assert [v["action"] for v in response.json()["items"]] == ["customer.create", "customer.delete"]


def test_pages_walk_events_of_the_same_instant_once_each(session):
    """Newest first is (occurred_at, id): ties on the instant are split by id, so a cursor
    page boundary inside a run of equal timestamps neither repeats nor skips an event."""
    instant = datetime(2026, 3, 1, 12, tzinfo=UTC)
    event = {
        "occurred_at": instant, "actor_type": "system", "actor_id": None, "actor_name": "tie",
        "actor_role": None, "client_ip": None, "user_agent": None, "request_id": None,
        "action": "test.tie", "entity_type": None, "entity_id": None, "changes": None,
        "reason": None,
    }  # fmt: skip
    chain.append(session.connection(), [dict(event) for _ in range(5)])
    chain.append(session.connection(), [{**event, "occurred_at": instant - timedelta(hours=1)}])
    filters = AuditFilters(action="test.tie")
    seen: list[int] = []
    cursor = None
    while True:
        page = list_events(session, filters, before_id=cursor, limit=2)
        seen += [item.id for item in page]
        if len(page) < 2:
            break
        cursor = page[-1].id
    tied, earlier = seen[:5], seen[5:]
    assert tied == sorted(tied, reverse=True)
    assert len(set(tied)) == 5
    assert len(earlier) == 1
    assert earlier[0] > max(tied)  # appended later, happened earlier


def test_a_cursor_that_names_no_event_is_422(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.get("/api/v1/audit?cursor=987654321", headers=auth(admin))
    assert response.status_code == 422
    assert "cursor 987654321" in response.json()["error"]["message"]
