"""Dispatch: the unassigned inbox, the engineer directory and a project manager's day of
dispatching (see the project's own project, attach, assign)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from builders import make_customer, make_request, make_user
from companies import make_company
from oversight.auth import service as auth_service
from oversight.auth.principal import Principal
from oversight.auth.scope import PRINCIPAL_KEY, bind_principal
from oversight.auth.sessions import start_session
from oversight.config import DeskSettings
from oversight.service_requests.models import RequestStatus, ServiceRequest
from oversight.vocabulary import Role

# Who finds a new request without project or engineer in `GET /requests?unassigned=true`,
# with the default OVERSIGHT_DESK__DISPATCHER_ROLES (project_manager).
INBOX_GRID = {
    Role.admin: True,
    Role.director: True,
    Role.accountant: True,
    Role.viewer: True,
    Role.project_manager: True,  # a dispatcher: their projects and the inbox
    Role.engineer: False,  # only requests assigned to them
    Role.client: False,  # only their own company's
}


def _inbox_request(session, **fields):
    """A client's request without a project: nobody's project, nobody's engineer."""
    customer = make_customer(session)
    return make_request(session, customer_id=customer.id, project_id=None, **fields)


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize("role", list(INBOX_GRID), ids=str)
def test_the_inbox_is_visible_to_dispatchers_and_unrestricted_roles(client, session, auth, role):
    inbox = _inbox_request(session)
    caller = make_user(session, role)
    listed = _ids(client.get("/api/v1/requests?unassigned=true", headers=auth(caller)))
    single = client.get(f"/api/v1/requests/{inbox.id}", headers=auth(caller))
    assert (inbox.id in listed) is INBOX_GRID[role]
    assert single.status_code == (200 if INBOX_GRID[role] else 404)


def test_unassigned_filters_requests_without_project_or_engineer(client, session, auth):
    world = make_company(session)  # its request has a project and an engineer
    no_project = _inbox_request(session)
    no_engineer = make_request(session, project_id=world.project.id)
    closed_orphan = _inbox_request(session, status=RequestStatus.cancelled)
    admin = make_user(session, Role.admin)
    inbox = _ids(client.get("/api/v1/requests?unassigned=true&page_size=200", headers=auth(admin)))
    rest = _ids(client.get("/api/v1/requests?unassigned=false&page_size=200", headers=auth(admin)))
    assert {no_project.id, no_engineer.id} <= inbox
    assert world.request.id not in inbox
    assert closed_orphan.id not in inbox
    assert {world.request.id, closed_orphan.id} <= rest
    assert not inbox & rest


def test_a_manager_sees_only_the_inbox_besides_own_projects(client, session, auth):
    mine, theirs = make_company(session), make_company(session)
    orphan = make_request(session, project_id=theirs.project.id)  # their project, no engineer
    visible = _ids(client.get("/api/v1/requests?page_size=200", headers=auth(mine.manager)))
    assert mine.request.id in visible
    assert orphan.id in visible
    assert theirs.request.id not in visible  # assigned, on another manager's project


def test_a_manager_dispatches_an_inbox_request_from_end_to_end(client, session, auth):
    manager = make_user(session, Role.project_manager)
    engineer = make_user(session, Role.engineer)
    inbox = _inbox_request(session)
    headers = auth(manager)

    customer = client.get(f"/api/v1/customers/{inbox.customer_id}", headers=headers)
    assert customer.status_code == 200, customer.text
    project = client.post(
        "/api/v1/projects",
        json={
            "name": "Dispatch project",
            "customer_id": inbox.customer_id,
            "manager_id": manager.id,
            "budget": "1000.00",
            "start_date": "2026-01-01",
        },
        headers=headers,
    )
    assert project.status_code == 201, project.text
    attached = client.patch(
        f"/api/v1/requests/{inbox.id}", json={"project_id": project.json()["id"]}, headers=headers
    )
    assert attached.status_code == 200, attached.text
    directory = client.get("/api/v1/engineers?page_size=200", headers=headers).json()
    assert engineer.id in {entry["id"] for entry in directory["items"]}
    assigned = client.post(
        f"/api/v1/requests/{inbox.id}/assign", json={"engineer_id": engineer.id}, headers=headers
    )
    assert assigned.status_code == 200, assigned.text
    assert assigned.json()["status"] == "assigned"
    # Out of the inbox, still the manager's: it is on their project now.
    assert inbox.id not in _ids(client.get("/api/v1/requests?unassigned=true", headers=headers))
    assert client.get(f"/api/v1/requests/{inbox.id}", headers=headers).status_code == 200


def test_a_manager_creates_projects_only_as_their_manager(client, session, auth):
    world = make_company(session)
    other_manager = make_user(session, Role.project_manager)
    body = {
        "name": "Someone else's project",
        "customer_id": world.customer.id,
        "manager_id": other_manager.id,
        "budget": "1000.00",
        "start_date": "2026-01-01",
    }
    response = client.post("/api/v1/projects", json=body, headers=auth(world.manager))
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "manager_id"
    assert "manage themselves" in response.json()["error"]["message"]


def test_a_manager_cannot_create_a_project_for_a_customer_outside_their_scope(
    client, session, auth
):
    manager = make_user(session, Role.project_manager)
    stranger = make_customer(session)
    body = {
        "name": "Stranger's project",
        "customer_id": stranger.id,
        "manager_id": manager.id,
        "budget": "1000.00",
        "start_date": "2026-01-01",
    }
    response = client.post("/api/v1/projects", json=body, headers=auth(manager))
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "customer_id"


def test_the_directory_shows_each_engineers_whole_open_load_and_nothing_personal(
    client, session, auth
):
    busy, idle = make_user(session, Role.engineer), make_user(session, Role.engineer)
    disabled = make_user(session, Role.engineer, is_active=False)
    for status in (RequestStatus.assigned, RequestStatus.in_progress, RequestStatus.closed):
        make_request(session, status=status, assigned_engineer_id=busy.id)  # others' projects
    manager = make_user(session, Role.project_manager)
    body = client.get("/api/v1/engineers?page_size=200", headers=auth(manager)).json()
    entries = {entry["id"]: entry for entry in body["items"]}
    assert entries[busy.id] == {"id": busy.id, "name": busy.full_name, "open_requests": 2}
    assert entries[idle.id]["open_requests"] == 0
    assert disabled.id not in entries
    assert manager.id not in entries


def test_the_directory_refuses_sorting_by_personal_fields(client, session, auth):
    manager = make_user(session, Role.project_manager)
    response = client.get("/api/v1/engineers?sort=full_name", headers=auth(manager))
    assert response.status_code == 422
    assert "sortable fields: id" in response.json()["error"]["message"]


def test_the_dispatcher_roles_setting_decides_who_sees_the_inbox(session, settings):
    manager = make_user(session, Role.project_manager)
    inbox = _inbox_request(session)
    token = start_session(
        session=session, settings=settings, user=manager, second_factor="totp"
    ).access_token
    without = settings.model_copy(update={"desk": DeskSettings(dispatcher_roles=frozenset())})
    default = auth_service.principal_from_token(session=session, settings=settings, token=token)
    assert default.dispatcher is True
    principal = auth_service.principal_from_token(session=session, settings=without, token=token)
    assert principal.dispatcher is False
    found = {}
    for dispatcher in (False, True):
        bind_principal(
            session, Principal(manager.id, manager.username, manager.role, None, None, dispatcher)
        )
        session.expunge_all()
        found[dispatcher] = session.scalar(
            select(ServiceRequest.id).where(ServiceRequest.id == inbox.id)
        )
        session.info.pop(PRINCIPAL_KEY, None)
    assert found == {False: None, True: inbox.id}


def test_only_roles_that_can_assign_may_be_dispatchers():
    with pytest.raises(ValidationError, match="engineer cannot dispatch"):
        DeskSettings(dispatcher_roles=frozenset({Role.engineer}))
