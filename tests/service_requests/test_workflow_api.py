"""Every workflow transition through the API: allowed ones move the state, refused ones 409."""

from __future__ import annotations

import pytest

from builders import make_project, make_request, make_user
from oversight.service_requests.models import RequestStatus
from oversight.service_requests.workflow import TRANSITIONS, RequestAction
from oversight.vocabulary import Role

S = RequestStatus
ALL_STATES = list(RequestStatus)


def _body(action: RequestAction, engineer_id: int) -> dict[str, object] | None:
    if action is RequestAction.assign:
        return {"engineer_id": engineer_id}
    if action is RequestAction.reject:
        return {"comment": "Detector 4 still beeps"}
    return None


@pytest.mark.parametrize("action", list(RequestAction))
@pytest.mark.parametrize("state", ALL_STATES)
def test_admin_action_from_each_state(client, session, auth, action, state):
    admin = make_user(session, Role.admin)
    engineer = make_user(session, Role.engineer)
    request = make_request(
        session, status=state, assigned_engineer_id=engineer.id if state is not S.new else None
    )
    response = client.post(
        f"/api/v1/requests/{request.id}/{action.value}",
        json=_body(action, engineer.id),
        headers=auth(admin),
    )
    expected = TRANSITIONS[action].get(state)
    if expected is None:
        assert response.status_code == 409
        message = response.json()["error"]["message"]
        assert f"it is {state.value}" in message
        assert "allowed actions:" in message
    else:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == expected.value


def test_full_happy_path_from_creation_to_closure(client, session, auth):
    manager = make_user(session, Role.project_manager)
    project = make_project(session, manager_id=manager.id)
    engineer = make_user(session, Role.engineer)
    contact = make_user(session, Role.client, customer_id=project.customer_id)

    created = client.post(
        "/api/v1/requests",
        json={"title": "Sprinkler pressure drop", "priority": "high", "project_id": project.id},
        headers=auth(contact),
    )
    assert created.status_code == 201, created.text
    request_id = created.json()["id"]
    assert created.json()["number"].startswith("SR-")
    assert created.json()["customer_id"] == project.customer_id

    def act(user, action, body=None):
        response = client.post(
            f"/api/v1/requests/{request_id}/{action}", json=body, headers=auth(user)
        )
        assert response.status_code == 200, response.text
        return response.json()

    act(manager, "assign", {"engineer_id": engineer.id})
    started = act(engineer, "start")
    assert started["first_response_at"] is not None
    completed = act(engineer, "complete")
    assert completed["sla_paused"] is True
    rejected = act(contact, "reject", {"comment": "Valve still leaks"})
    assert rejected["revision_count"] == 1
    assert rejected["status"] == "in_progress"
    act(engineer, "complete")
    closed = act(contact, "approve", {"comment": "Thanks"})
    assert closed["status"] == "closed"
    assert closed["closed_at"] is not None
    assert closed["allowed_actions"] == ["reopen"]

    approvals = client.get(f"/api/v1/requests/{request_id}/approvals", headers=auth(manager))
    assert [a["decision"] for a in approvals.json()["items"]] == ["rejected", "approved"]
    assert approvals.json()["total"] == 2


def test_numbers_increase_per_request(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    numbers = [
        client.post(
            "/api/v1/requests",
            json={"title": f"Check {n}", "project_id": project.id},
            headers=auth(admin),
        ).json()["number"]
        for n in range(3)
    ]
    values = [int(number.removeprefix("SR-")) for number in numbers]
    assert values == sorted(values)
    assert len(set(values)) == 3


def test_reject_without_comment_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    request = make_request(session, status=S.awaiting_approval)
    response = client.post(f"/api/v1/requests/{request.id}/reject", json={}, headers=auth(admin))
    assert response.status_code == 422
    assert "comment" in response.json()["error"]["message"]


def test_assigning_a_non_engineer_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    viewer = make_user(session, Role.viewer)
    request = make_request(session)
    response = client.post(
        f"/api/v1/requests/{request.id}/assign",
        json={"engineer_id": viewer.id},
        headers=auth(admin),
    )
    assert response.status_code == 422
    assert "engineer" in response.json()["error"]["message"]
    assert response.json()["error"]["details"] == {"field": "engineer_id"}


def test_client_cannot_set_its_customer(client, session, auth):
    contact = make_user(session, Role.client)
    response = client.post(
        "/api/v1/requests",
        json={"title": "Alarm", "customer_id": contact.customer_id},
        headers=auth(contact),
    )
    assert response.status_code == 422
    assert "customer_id" in response.json()["error"]["message"]


def test_client_cannot_set_status_on_creation(client, session, auth):
    contact = make_user(session, Role.client)
    response = client.post(
        "/api/v1/requests", json={"title": "Alarm", "status": "closed"}, headers=auth(contact)
    )
    assert response.status_code == 422


def test_client_cannot_file_against_another_customers_project(client, session, auth):
    contact = make_user(session, Role.client)
    foreign = make_project(session)
    response = client.post(
        "/api/v1/requests",
        json={"title": "Alarm", "project_id": foreign.id},
        headers=auth(contact),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "project_id"}


def test_priority_change_before_work_rederives_due_dates(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    created = client.post(
        "/api/v1/requests",
        json={"title": "Pump noise", "priority": "low", "project_id": project.id},
        headers=auth(admin),
    ).json()
    updated = client.patch(
        f"/api/v1/requests/{created['id']}", json={"priority": "critical"}, headers=auth(admin)
    ).json()
    assert updated["resolution_due_at"] < created["resolution_due_at"]


def test_priority_change_after_work_started_is_a_conflict(client, session, auth):
    admin = make_user(session, Role.admin)
    request = make_request(session, status=S.in_progress)
    response = client.patch(
        f"/api/v1/requests/{request.id}", json={"priority": "critical"}, headers=auth(admin)
    )
    assert response.status_code == 409


def test_filters_by_status_and_overdue(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    late = make_request(session, project_id=project.id, status=S.in_progress)
    make_request(session, project_id=project.id, status=S.closed)
    response = client.get(
        f"/api/v1/requests?project_id={project.id}&status=in_progress&status=new&overdue=true",
        headers=auth(admin),
    )
    assert [item["id"] for item in response.json()["items"]] == [late.id]
    assert response.json()["items"][0]["is_overdue"] is True


def test_unknown_status_filter_is_422(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.get("/api/v1/requests?status=lost", headers=auth(admin))
    assert response.status_code == 422
    assert "status" in response.json()["error"]["message"]
