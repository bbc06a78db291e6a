"""The project workflow: planned → active → completed/cancelled (with hold/resume), by named
actions; 409 naming the allowed ones; a finished project takes no new requests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from builders import make_customer, make_project, make_request, make_user
from oversight.audit.models import AuditEvent
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.projects.models import ProjectStatus
from oversight.vocabulary import Role

URL = "/api/v1/projects"
P = ProjectStatus


def test_a_project_goes_from_planned_to_completed_by_named_actions(client, session, auth):
    manager = make_user(session, Role.project_manager)
    project = make_project(session, manager_id=manager.id, status=P.planned)
    headers = auth(manager)
    assert client.get(f"{URL}/{project.id}", headers=headers).json()["allowed_actions"] == [
        "start",
        "cancel",
    ]
    for action, status in (("start", "active"), ("hold", "on_hold"), ("resume", "active")):
        moved = client.post(f"{URL}/{project.id}/{action}", headers=headers)
        assert moved.status_code == 200, moved.text
        assert moved.json()["status"] == status
    done = client.post(f"{URL}/{project.id}/complete", headers=headers)
    assert done.json()["status"] == "completed"
    assert done.json()["allowed_actions"] == []
    session.info.pop(PRINCIPAL_KEY, None)
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "project", AuditEvent.entity_id == str(project.id))
        .order_by(AuditEvent.id)
    ).all()
    assert [a for a in actions if a != "project.create"] == [
        "project.start",
        "project.hold",
        "project.resume",
        "project.complete",
    ]


@pytest.mark.parametrize(
    ("status", "action", "allowed"),
    [
        (P.completed, "start", "none"),
        (P.cancelled, "resume", "none"),
        (P.planned, "complete", "start, cancel"),
        (P.on_hold, "complete", "resume, cancel"),
    ],
    ids=str,
)
def test_an_impossible_action_is_409_naming_the_allowed_ones(
    client, session, auth, status, action, allowed
):
    admin = make_user(session, Role.admin)
    project = make_project(session, status=status)
    response = client.post(f"{URL}/{project.id}/{action}", headers=auth(admin))
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        f"cannot {action} project {project.code}: it is {status.value}; allowed actions: {allowed}"
    )


def test_readers_who_cannot_change_projects_get_no_actions(client, session, auth):
    project = make_project(session, status=P.active)
    viewer = make_user(session, Role.viewer)
    body = client.get(f"{URL}/{project.id}", headers=auth(viewer)).json()
    assert body["allowed_actions"] == []


@pytest.mark.parametrize("status", [P.completed, P.cancelled, P.on_hold], ids=str)
def test_a_new_project_starts_planned_or_active(client, session, auth, status):
    admin = make_user(session, Role.admin)
    body = {
        "name": "Born finished",
        "customer_id": make_customer(session).id,
        "budget": "1.00",
        "start_date": "2026-01-01",
        "status": status.value,
    }
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "status"}


@pytest.mark.parametrize("status", [P.completed, P.cancelled], ids=str)
def test_a_finished_project_takes_no_new_request(client, session, auth, status):
    admin = make_user(session, Role.admin)
    project = make_project(session, status=status)
    created = client.post(
        "/api/v1/requests",
        json={"title": "Late request", "project_id": project.id},
        headers=auth(admin),
    )
    moved = client.patch(
        f"/api/v1/requests/{make_request(session, customer_id=project.customer_id).id}",
        json={"project_id": project.id},
        headers=auth(admin),
    )
    for response in (created, moved):
        assert response.status_code == 409
        assert response.json()["error"]["message"] == (
            f"project {project.code} is {status.value}; it takes no new requests"
        )


@pytest.mark.parametrize("status", [P.planned, P.active, P.on_hold], ids=str)
def test_an_unfinished_project_takes_requests(client, session, auth, status):
    admin = make_user(session, Role.admin)
    project = make_project(session, status=status)
    created = client.post(
        "/api/v1/requests",
        json={"title": "Fresh request", "project_id": project.id},
        headers=auth(admin),
    )
    assert created.status_code == 201, created.text
