"""`allowed_actions` on a request: what this caller may do to it now — the actions its
state allows that the caller's role is permitted (the permission table), nothing more."""

from __future__ import annotations

import pytest

from companies import make_company
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.service_requests.models import RequestStatus
from oversight.service_requests.workflow import allowed_actions
from oversight.vocabulary import Role

S = RequestStatus
# Written out for the states a desk sees most; the parametrized test below checks every state.
EXPECTED = {
    (S.assigned, Role.admin): ["assign", "start", "cancel"],
    (S.assigned, Role.project_manager): ["assign", "start", "cancel"],
    (S.assigned, Role.engineer): ["start"],
    (S.assigned, Role.client): ["cancel"],
    (S.assigned, Role.viewer): [],
    (S.awaiting_approval, Role.admin): ["approve", "reject", "close", "cancel"],
    (S.awaiting_approval, Role.project_manager): ["close", "cancel"],
    (S.awaiting_approval, Role.engineer): [],
    (S.awaiting_approval, Role.client): ["approve", "reject", "cancel"],
    (S.awaiting_approval, Role.director): [],
    (S.closed, Role.client): ["reopen"],
    (S.closed, Role.engineer): [],
}


@pytest.mark.parametrize(("status", "role"), list(EXPECTED), ids=str)
def test_allowed_actions_are_this_callers(client, session, auth, status, role):
    world = make_company(session, request_status=status)
    caller = world.caller(session, role)
    response = client.get(f"/api/v1/requests/{world.request.id}", headers=auth(caller))
    assert response.status_code == 200, response.text
    assert response.json()["allowed_actions"] == EXPECTED[(status, role)]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("status", list(RequestStatus), ids=str)
def test_every_listed_action_is_permitted_and_possible(client, session, auth, status, role):
    world = make_company(session, request_status=status)
    caller = world.caller(session, role)
    body = client.get("/api/v1/requests?page_size=200", headers=auth(caller)).json()
    (item,) = [item for item in body["items"] if item["id"] == world.request.id]
    assert item["allowed_actions"] == [
        action
        for action in allowed_actions(status)
        if is_allowed(role, Resource.requests, Action(action.value))
    ]


def test_an_action_listed_for_the_caller_succeeds(client, session, auth):
    world = make_company(session, request_status=S.assigned)
    headers = auth(world.engineer)
    (action,) = client.get(f"/api/v1/requests/{world.request.id}", headers=headers).json()[
        "allowed_actions"
    ]
    moved = client.post(f"/api/v1/requests/{world.request.id}/{action}", headers=headers)
    assert moved.status_code == 200, moved.text
    assert moved.json()["allowed_actions"] == ["complete"]
