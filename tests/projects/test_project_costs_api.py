"""Project costs through the API: booking, correcting, listing, closed projects and row scope."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from builders import make_project, make_project_cost, make_user
from oversight.projects.models import CostCategory, ProjectStatus
from oversight.vocabulary import Role

URL = "/api/v1/project-costs"


def _new_cost(project_id: int, **fields: object) -> dict:
    body: dict[str, object] = {
        "project_id": project_id,
        "incurred_on": "2026-04-02",
        "category": "materials",
        "description": "Sprinkler heads",
        "amount": "1200.50",
    }
    return body | fields


def _field(response) -> str:
    details = response.json()["error"]["details"]
    return details["field"] if isinstance(details, dict) else details[0]["field"]


def test_accountant_books_a_cost_and_reads_it_back(client, session, auth):
    accountant = make_user(session, Role.accountant)
    project = make_project(session)
    created = client.post(URL, json=_new_cost(project.id), headers=auth(accountant))
    assert created.status_code == 201, created.text
    cost = created.json()
    assert cost["amount"] == "1200.50"
    assert cost["project_id"] == project.id
    fetched = client.get(f"{URL}/{cost['id']}", headers=auth(accountant))
    assert fetched.json() == cost


@pytest.mark.parametrize("amount", ["0", "-5.00"])
def test_amount_must_be_positive(client, session, auth, amount):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    response = client.post(URL, json=_new_cost(project.id, amount=amount), headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "body.amount"


def test_amount_with_three_decimal_places_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    body = _new_cost(project.id, amount=10.125)
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "body.amount"


def test_unknown_category_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    body = _new_cost(project.id, category="snacks")
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "body.category"


def test_cost_for_a_missing_project_is_refused_naming_project_id(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post(URL, json=_new_cost(999_999), headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "project_id"


@pytest.mark.parametrize("status", [ProjectStatus.completed, ProjectStatus.cancelled])
def test_closed_project_cannot_get_new_costs(client, session, auth, status):
    admin = make_user(session, Role.admin)
    project = make_project(session, status=status)
    response = client.post(URL, json=_new_cost(project.id), headers=auth(admin))
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        f"project {project.code} is {status.value}; it cannot get new costs"
    )


@pytest.mark.parametrize("status", [ProjectStatus.planned, ProjectStatus.on_hold])
def test_open_project_in_any_other_state_takes_costs(client, session, auth, status):
    admin = make_user(session, Role.admin)
    project = make_project(session, status=status)
    response = client.post(URL, json=_new_cost(project.id), headers=auth(admin))
    assert response.status_code == 201


def test_partial_update_changes_only_given_fields(client, session, auth):
    admin = make_user(session, Role.admin)
    cost = make_project_cost(session, amount=Decimal("10.00"), description="Cable")
    response = client.patch(f"{URL}/{cost.id}", json={"amount": "12"}, headers=auth(admin))
    assert response.status_code == 200, response.text
    assert response.json()["amount"] == "12.00"
    assert response.json()["description"] == "Cable"


def test_cost_on_a_completed_project_may_still_be_corrected(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session, status=ProjectStatus.completed)
    cost = make_project_cost(session, project_id=project.id)
    response = client.patch(
        f"{URL}/{cost.id}", json={"description": "Corrected"}, headers=auth(admin)
    )
    assert response.status_code == 200
    assert response.json()["description"] == "Corrected"


def test_moving_a_cost_onto_a_completed_project_is_a_conflict(client, session, auth):
    admin = make_user(session, Role.admin)
    cost = make_project_cost(session)
    closed = make_project(session, status=ProjectStatus.completed)
    response = client.patch(f"{URL}/{cost.id}", json={"project_id": closed.id}, headers=auth(admin))
    assert response.status_code == 409


def test_null_amount_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    cost = make_project_cost(session)
    response = client.patch(f"{URL}/{cost.id}", json={"amount": None}, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "amount"


@pytest.mark.parametrize(("field", "value"), [("id", 5), ("created_at", "2026-01-01T00:00:00Z")])
def test_generated_fields_in_body_are_refused(client, session, auth, field, value):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    response = client.post(URL, json=_new_cost(project.id, **{field: value}), headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == f"body.{field}"


# listing


def test_list_filters_by_project_and_category(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    travel = make_project_cost(session, project_id=project.id, category=CostCategory.travel)
    make_project_cost(session, project_id=project.id, category=CostCategory.materials)
    make_project_cost(session, category=CostCategory.travel)
    listing = client.get(
        f"{URL}?project_id={project.id}&category=travel", headers=auth(admin)
    ).json()
    assert [item["id"] for item in listing["items"]] == [travel.id]
    assert listing["total"] == 1


def test_date_range_includes_both_ends(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    days = [date(2026, 3, 31), date(2026, 4, 1), date(2026, 4, 30), date(2026, 5, 1)]
    costs = [make_project_cost(session, project_id=project.id, incurred_on=day) for day in days]
    listing = client.get(
        f"{URL}?project_id={project.id}&from=2026-04-01&to=2026-04-30&sort=incurred_on",
        headers=auth(admin),
    ).json()
    assert [item["id"] for item in listing["items"]] == [costs[1].id, costs[2].id]


def test_range_ending_before_it_starts_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.get(f"{URL}?from=2026-05-01&to=2026-04-01", headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "to"


def test_default_order_is_newest_first(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    older = make_project_cost(session, project_id=project.id, incurred_on=date(2026, 1, 5))
    newer = make_project_cost(session, project_id=project.id, incurred_on=date(2026, 2, 5))
    listing = client.get(f"{URL}?project_id={project.id}", headers=auth(admin)).json()
    assert [item["id"] for item in listing["items"]] == [newer.id, older.id]


def test_page_beyond_the_end_is_empty_with_the_total(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    make_project_cost(session, project_id=project.id)
    listing = client.get(f"{URL}?project_id={project.id}&page=2", headers=auth(admin)).json()
    assert listing["items"] == []
    assert listing["total"] == 1


def test_page_size_over_the_maximum_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.get(f"{URL}?page_size=500", headers=auth(admin))
    assert response.status_code == 422
    assert "page_size" in response.json()["error"]["message"]


# permissions and row scope


def test_project_manager_sees_only_costs_of_own_projects(client, session, auth):
    manager = make_user(session, Role.project_manager)
    own = make_project_cost(session, project_id=make_project(session, manager_id=manager.id).id)
    make_project_cost(session)
    listing = client.get(URL, headers=auth(manager)).json()
    assert [item["id"] for item in listing["items"]] == [own.id]
    assert listing["total"] == 1


def test_project_manager_gets_the_missing_id_answer_for_other_costs(client, session, auth):
    manager = make_user(session, Role.project_manager)
    other = make_project_cost(session)
    hidden = client.get(f"{URL}/{other.id}", headers=auth(manager))
    missing = client.get(f"{URL}/999999", headers=auth(manager))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"] == {
        "code": "not_found",
        "message": f"project cost {other.id} not found",
        "details": None,
    }
    assert missing.json()["error"]["message"] == "project cost 999999 not found"


def test_project_manager_books_costs_on_own_project(client, session, auth):
    manager = make_user(session, Role.project_manager)
    project = make_project(session, manager_id=manager.id)
    response = client.post(URL, json=_new_cost(project.id), headers=auth(manager))
    assert response.status_code == 201


def test_project_manager_cannot_book_on_another_managers_project(client, session, auth):
    manager = make_user(session, Role.project_manager)
    other = make_project(session)
    response = client.post(URL, json=_new_cost(other.id), headers=auth(manager))
    assert response.status_code == 422
    assert _field(response) == "project_id"
    assert response.json()["error"]["message"] == f"project {other.id} does not exist"


def test_project_manager_cannot_move_own_cost_to_another_managers_project(client, session, auth):
    manager = make_user(session, Role.project_manager)
    cost = make_project_cost(session, project_id=make_project(session, manager_id=manager.id).id)
    other = make_project(session)
    response = client.patch(
        f"{URL}/{cost.id}", json={"project_id": other.id}, headers=auth(manager)
    )
    assert response.status_code == 422
    assert _field(response) == "project_id"


@pytest.mark.parametrize("role", [Role.client, Role.engineer])
def test_clients_and_engineers_may_not_read_costs(client, session, auth, role):
    user = make_user(session, role)
    response = client.get(URL, headers=auth(user))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_client_may_not_read_a_cost_of_its_own_project(client, session, auth):
    contact = make_user(session, Role.client)
    cost = make_project_cost(
        session, project_id=make_project(session, customer_id=contact.customer_id).id
    )
    response = client.get(f"{URL}/{cost.id}", headers=auth(contact))
    assert response.status_code == 403


@pytest.mark.parametrize("role", [Role.director, Role.viewer])
def test_read_only_roles_cannot_book_costs(client, session, auth, role):
    user = make_user(session, role)
    project = make_project(session)
    response = client.post(URL, json=_new_cost(project.id), headers=auth(user))
    assert response.status_code == 403
