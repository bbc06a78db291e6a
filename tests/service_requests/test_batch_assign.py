"""POST /api/v1/requests/assign: several requests to one engineer, all or nothing."""

from __future__ import annotations

from sqlalchemy import select

from builders import make_project, make_request, make_user
from companies import make_company
from oversight.audit.models import AuditEvent
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.service_requests.models import RequestStatus, ServiceRequest
from oversight.vocabulary import Role

URL = "/api/v1/requests/assign"


def _engineers_of(session, requests) -> list[int | None]:
    session.info.pop(PRINCIPAL_KEY, None)  # read as the test, not as the last caller
    session.expire_all()
    return [session.get(ServiceRequest, r.id).assigned_engineer_id for r in requests]


def _events(session, action: str) -> list[AuditEvent]:
    session.info.pop(PRINCIPAL_KEY, None)
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_every_listed_request_is_assigned_and_audited(client, session, auth):
    manager = make_user(session, Role.project_manager)
    engineer = make_user(session, Role.engineer)
    project = make_project(session, manager_id=manager.id)
    requests = [make_request(session, project_id=project.id) for _ in range(3)]

    response = client.post(
        URL,
        json={"request_ids": [r.id for r in requests], "engineer_id": engineer.id},
        headers=auth(manager),
    )

    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()] == [r.id for r in requests]
    assert {item["status"] for item in response.json()} == {"assigned"}
    assert _engineers_of(session, requests) == [engineer.id] * 3
    assigned = {e.entity_id for e in _events(session, "service_request.assign")}
    assert {str(r.id) for r in requests} <= assigned


def test_one_request_outside_the_scope_fails_the_whole_batch_like_a_missing_one(
    client, session, auth
):
    mine, theirs = make_company(session), make_company(session)
    own = [
        make_request(session, project_id=mine.project.id, status=RequestStatus.new)
        for _ in range(2)
    ]
    # Assigned on another manager's project: outside the scope (an unassigned one would be
    # in the dispatchers' inbox).
    other = make_request(
        session,
        project_id=theirs.project.id,
        status=RequestStatus.assigned,
        assigned_engineer_id=theirs.engineer.id,
    )
    headers = auth(mine.manager)

    def batch(last_id: int):
        return client.post(
            URL,
            json={"request_ids": [own[0].id, last_id, own[1].id], "engineer_id": mine.engineer.id},
            headers=headers,
        )

    hidden = batch(other.id)
    assert hidden.status_code == 404, hidden.text
    assert str(other.id) in hidden.json()["error"]["message"]
    assert _engineers_of(session, [*own, other]) == [None, None, theirs.engineer.id]
    assert [e.entity_id for e in _events(session, "access.out_of_scope")] == [str(other.id)]

    missing = batch(other.id + 100_000)
    assert missing.status_code == 404
    assert hidden.text.replace(str(other.id), "N") == missing.text.replace(
        str(other.id + 100_000), "N"
    )
    assert _engineers_of(session, own) == [None, None]


def test_one_request_in_the_wrong_state_fails_the_whole_batch(client, session, auth):
    admin = make_user(session, Role.admin)
    engineer = make_user(session, Role.engineer)
    fresh = make_request(session, status=RequestStatus.new)
    closed = make_request(session, status=RequestStatus.closed)

    response = client.post(
        URL,
        json={"request_ids": [fresh.id, closed.id], "engineer_id": engineer.id},
        headers=auth(admin),
    )

    assert response.status_code == 409, response.text
    assert closed.number in response.json()["error"]["message"]
    assert _engineers_of(session, [fresh, closed]) == [None, None]
    assert _events(session, "service_request.assign") == []


def test_malformed_batches_are_refused_by_name(client, session, auth):
    admin = make_user(session, Role.admin)
    engineer = make_user(session, Role.engineer)
    request = make_request(session, status=RequestStatus.new)
    cases = {
        "empty": ({"request_ids": [], "engineer_id": engineer.id}, "request_ids"),
        "repeated": ({"request_ids": [request.id, request.id], "engineer_id": engineer.id},
                     f"repeated: {request.id}"),
        "too many": ({"request_ids": list(range(1, 102)), "engineer_id": engineer.id},
                     "request_ids"),
        "not ids": ({"request_ids": ["SR-1"], "engineer_id": engineer.id}, "request_ids"),
        "no engineer": ({"request_ids": [request.id]}, "engineer_id"),
    }  # fmt: skip
    for name, (body, named) in cases.items():
        response = client.post(URL, json=body, headers=auth(admin))
        assert response.status_code == 422, (name, response.text)
        assert named in response.text, (name, response.text)
    assert _engineers_of(session, [request]) == [None]


def test_roles_that_may_not_assign_are_refused(client, session, auth):
    engineer = make_user(session, Role.engineer)
    request = make_request(session, status=RequestStatus.new)
    for role in (Role.director, Role.accountant, Role.engineer, Role.client, Role.viewer):
        response = client.post(
            URL,
            json={"request_ids": [request.id], "engineer_id": engineer.id},
            headers=auth(make_user(session, role)),
        )
        assert response.status_code == 403, (role, response.text)
    assert _engineers_of(session, [request]) == [None]
