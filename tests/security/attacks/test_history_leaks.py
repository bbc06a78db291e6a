"""Issue 12, finding 2: a record's history leaked other tenants' users and staff addresses.

A client reading their own request's history saw the `access.out_of_scope` event of another
customer's user who probed that id (with that user's name, IP and User-Agent), and staff IPs
and user agents on ordinary changes. Now each role sees what the policy grid
(`HISTORY_VIEWS`) gives it: only admins (who may read the trail) get every event with its
origin; everyone else gets the changes alone, the author shown by name or by role."""

from __future__ import annotations

import pytest

from builders import make_project, make_request, make_user
from oversight.audit.history import visible_fields
from oversight.auth.permissions import HISTORY_VIEWS, Action, Resource, is_allowed
from oversight.vocabulary import Role

PROBER_AGENT = "ProbingTool/6.6 (another customer)"
STAFF_AGENT = "StaffBrowser/1.0 (office desktop)"
ORIGIN = {"client_ip", "user_agent", "request_id"}


@pytest.fixture
def probed_request(client, session, auth):
    """A client's request, changed by an admin from the office, then probed by a user of
    another customer; returns (request, {role: a user of that role who may read it}, prober)."""
    contact = make_user(session, Role.client)
    manager = make_user(session, Role.project_manager)
    engineer = make_user(session, Role.engineer)
    project = make_project(session, customer_id=contact.customer_id, manager_id=manager.id)
    request = make_request(session, project_id=project.id, assigned_engineer_id=engineer.id)
    admin = make_user(session, Role.admin)
    changed = client.patch(
        f"/api/v1/requests/{request.id}",
        json={"title": "Panel fault, loop 2"},
        headers=auth(admin) | {"User-Agent": STAFF_AGENT},
    )
    assert changed.status_code == 200, changed.text
    prober = make_user(session, Role.client)  # another customer's contact
    probe = client.get(
        f"/api/v1/requests/{request.id}/history",
        headers=auth(prober) | {"User-Agent": PROBER_AGENT},
    )
    assert probe.status_code == 404
    readers = {
        Role.admin: admin,
        Role.client: contact,
        Role.project_manager: manager,
        Role.engineer: engineer,
        **{role: make_user(session, role) for role in (Role.director, Role.accountant)},
        Role.viewer: make_user(session, Role.viewer),
    }
    return request, readers, prober, admin


def test_the_reported_leak_a_client_sees_neither_the_probe_nor_staff_addresses(
    client, auth, probed_request
):
    request, readers, prober, admin = probed_request
    response = client.get(
        f"/api/v1/requests/{request.id}/history", headers=auth(readers[Role.client])
    )
    assert response.status_code == 200, response.text
    entries = response.json()["items"]
    assert [entry["action"] for entry in entries] == [
        "service_request.create",
        "service_request.update",
    ]
    for text in (prober.username, PROBER_AGENT, STAFF_AGENT, admin.username, "testclient"):
        assert text not in response.text
    assert "access.out_of_scope" not in response.text
    assert entries[1]["actor_role"] == "admin"
    assert entries[1]["changes"]["title"][1] == "Panel fault, loop 2"


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_exactly_the_fields_the_policy_grid_gives_it(
    client, auth, probed_request, role
):
    request, readers, prober, _ = probed_request
    assert is_allowed(role, Resource.requests, Action.read)
    view = HISTORY_VIEWS[role]
    response = client.get(f"/api/v1/requests/{request.id}/history", headers=auth(readers[role]))
    assert response.status_code == 200, response.text
    entries = response.json()["items"]
    assert all(set(entry) == set(visible_fields(view)) for entry in entries), entries
    actions = {entry["action"] for entry in entries}
    if view.forensic:
        assert "access.out_of_scope" in actions
        probe = next(entry for entry in entries if entry["action"] == "access.out_of_scope")
        assert probe["user_agent"] == PROBER_AGENT
        assert probe["actor_name"] == prober.username
    else:
        assert actions == {"service_request.create", "service_request.update"}
        assert PROBER_AGENT not in response.text
        assert STAFF_AGENT not in response.text
        assert prober.username not in response.text


def test_the_forensic_view_belongs_exactly_to_the_roles_that_read_the_trail():
    for role, view in HISTORY_VIEWS.items():
        assert view.forensic == is_allowed(role, Resource.audit, Action.read), role
        assert set(visible_fields(view)) >= ORIGIN or not view.forensic
        assert not ORIGIN & set(visible_fields(view)) or view.forensic
    assert set(HISTORY_VIEWS) == set(Role)


def test_a_client_sees_staff_by_role_and_never_by_name(client, auth, probed_request):
    request, readers, _, admin = probed_request
    entries = client.get(
        f"/api/v1/requests/{request.id}/history", headers=auth(readers[Role.client])
    ).json()["items"]
    assert all("actor_name" not in entry and "actor_id" not in entry for entry in entries)
    staff = client.get(
        f"/api/v1/requests/{request.id}/history", headers=auth(readers[Role.accountant])
    ).json()["items"]
    assert staff[1]["actor_name"] == admin.username
    assert "actor_id" not in staff[1]
