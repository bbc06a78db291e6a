"""Projects through the API: create/read/update, validation, listing, permissions and row scope."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from builders import make_customer, make_project, make_user
from oversight.projects.models import ProjectStatus
from oversight.vocabulary import Role

URL = "/api/v1/projects"


def _new_project(customer_id: int, manager_id: int | None = None, **fields: object) -> dict:
    body: dict[str, object] = {
        "name": "Sprinkler maintenance 2026",
        "customer_id": customer_id,
        "budget": "150000.00",
        "start_date": "2026-01-01",
    }
    if manager_id is not None:
        body["manager_id"] = manager_id
    return body | fields


def _not_found(project_id: int) -> dict:
    return {
        "error": {
            "code": "not_found",
            "message": f"project {project_id} not found",
            "details": None,
        }
    }


def _field(response) -> str:
    """The field an error response names: a service error's `field` or a schema error's."""
    details = response.json()["error"]["details"]
    return details["field"] if isinstance(details, dict) else details[0]["field"]


# create and read


def test_admin_creates_project_with_generated_code_and_reads_it_back(client, session, auth):
    admin = make_user(session, Role.admin)
    manager = make_user(session, Role.project_manager)
    customer = make_customer(session)
    body = _new_project(customer.id, manager.id, end_date="2026-12-31", description="Annual")
    created = client.post(URL, json=body, headers=auth(admin))
    assert created.status_code == 201, created.text
    project = created.json()
    assert re.fullmatch(r"PRJ-\d{4,}", project["code"])
    assert project["status"] == "planned"
    assert project["customer_id"] == customer.id
    assert project["manager_id"] == manager.id
    fetched = client.get(f"{URL}/{project['id']}", headers=auth(admin))
    assert fetched.json() == project


def test_consecutive_projects_get_consecutive_codes(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    first = client.post(URL, json=_new_project(customer.id), headers=auth(admin)).json()
    second = client.post(URL, json=_new_project(customer.id), headers=auth(admin)).json()
    assert int(second["code"].removeprefix("PRJ-")) == int(first["code"].removeprefix("PRJ-")) + 1


def test_budget_is_returned_as_a_string_with_two_places(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    created = client.post(URL, json=_new_project(customer.id, budget=1500), headers=auth(admin))
    assert created.json()["budget"] == "1500.00"


def test_admin_may_manage_a_project(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    created = client.post(URL, json=_new_project(customer.id, admin.id), headers=auth(admin))
    assert created.status_code == 201
    assert created.json()["manager_id"] == admin.id


# validation and mass assignment


@pytest.mark.parametrize(
    ("field", "value"),
    [("code", "PRJ-9999"), ("id", 7), ("created_at", "2026-01-01T00:00:00Z")],
)
def test_generated_fields_in_body_are_refused(client, session, auth, field, value):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    body = _new_project(customer.id) | {field: value}
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == f"body.{field}"


def test_negative_budget_is_refused_naming_budget(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    response = client.post(URL, json=_new_project(customer.id, budget="-1"), headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "body.budget"


def test_budget_with_three_decimal_places_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    body = _new_project(customer.id, budget="100.005")
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "body.budget"
    assert "2 decimal places" in response.json()["error"]["message"]


def test_end_date_before_start_date_is_refused_naming_end_date(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    body = _new_project(customer.id, start_date="2026-05-01", end_date="2026-04-30")
    response = client.post(URL, json=body, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "end_date"
    assert "2026-04-30" in response.json()["error"]["message"]


def test_missing_customer_is_refused_naming_customer_id(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post(URL, json=_new_project(999_999), headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "customer_id"
    assert "customer 999999" in response.json()["error"]["message"]


@pytest.mark.parametrize("role", [Role.engineer, Role.client])
def test_manager_with_another_role_is_refused_naming_manager_id(client, session, auth, role):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    other = make_user(session, role)
    response = client.post(URL, json=_new_project(customer.id, other.id), headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "manager_id"
    assert role.value in response.json()["error"]["message"]


def test_disabled_manager_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    manager = make_user(session, Role.project_manager, is_active=False)
    response = client.post(URL, json=_new_project(customer.id, manager.id), headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "manager_id"
    assert "disabled" in response.json()["error"]["message"]


def test_unknown_manager_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    response = client.post(URL, json=_new_project(customer.id, 999_999), headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "manager_id"


# update


def test_partial_update_changes_only_given_fields(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session, name="Old name", budget=Decimal("10.00"))
    response = client.patch(f"{URL}/{project.id}", json={"budget": "20.5"}, headers=auth(admin))
    assert response.status_code == 200, response.text
    assert response.json()["budget"] == "20.50"
    assert response.json()["name"] == "Old name"
    assert response.json()["code"] == project.code


def test_status_does_not_change_by_patch(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session, status=ProjectStatus.completed)
    response = client.patch(f"{URL}/{project.id}", json={"status": "active"}, headers=auth(admin))
    assert response.status_code == 422
    assert "status" in response.json()["error"]["message"]


def test_update_moving_end_before_the_stored_start_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session, start_date=date(2026, 3, 1))
    response = client.patch(
        f"{URL}/{project.id}", json={"end_date": "2026-02-28"}, headers=auth(admin)
    )
    assert response.status_code == 422
    assert _field(response) == "end_date"


def test_end_date_may_be_cleared(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session, end_date=date(2026, 12, 31))
    response = client.patch(f"{URL}/{project.id}", json={"end_date": None}, headers=auth(admin))
    assert response.status_code == 200
    assert response.json()["end_date"] is None


def test_null_for_a_required_field_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    response = client.patch(f"{URL}/{project.id}", json={"name": None}, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == "name"


@pytest.mark.parametrize(("field", "value"), [("customer_id", 1), ("code", "PRJ-0001"), ("id", 1)])
def test_update_refuses_fields_that_cannot_change(client, session, auth, field, value):
    admin = make_user(session, Role.admin)
    project = make_project(session)
    response = client.patch(f"{URL}/{project.id}", json={field: value}, headers=auth(admin))
    assert response.status_code == 422
    assert _field(response) == f"body.{field}"


def test_update_of_missing_project_is_not_found(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.patch(f"{URL}/999999", json={"name": "X"}, headers=auth(admin))
    assert response.status_code == 404
    assert response.json() == _not_found(999_999)


# listing


def test_list_filters_by_customer(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    mine = make_project(session, customer_id=customer.id)
    make_project(session)
    listing = client.get(f"{URL}?customer_id={customer.id}", headers=auth(admin)).json()
    assert [item["id"] for item in listing["items"]] == [mine.id]
    assert listing["total"] == 1


def test_list_filters_by_manager_and_status(client, session, auth):
    admin = make_user(session, Role.admin)
    manager = make_user(session, Role.project_manager)
    on_hold = make_project(session, manager_id=manager.id, status=ProjectStatus.on_hold)
    make_project(session, manager_id=manager.id, status=ProjectStatus.active)
    make_project(session, status=ProjectStatus.on_hold)
    listing = client.get(
        f"{URL}?manager_id={manager.id}&status=on_hold", headers=auth(admin)
    ).json()
    assert [item["id"] for item in listing["items"]] == [on_hold.id]


def test_search_matches_name_or_code_case_insensitively(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    by_name = make_project(session, customer_id=customer.id, name="Hydrant Survey")
    by_code = make_project(session, customer_id=customer.id, code=f"HYD-{customer.id}")
    make_project(session, customer_id=customer.id, name="Alarm panels")
    listing = client.get(
        f"{URL}?customer_id={customer.id}&search=hyd&sort=id", headers=auth(admin)
    ).json()
    assert [item["id"] for item in listing["items"]] == [by_name.id, by_code.id]


def test_search_treats_wildcards_literally(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    make_project(session, customer_id=customer.id, name="Hundred")
    percent = make_project(session, customer_id=customer.id, name="100% coverage")
    listing = client.get(f"{URL}?customer_id={customer.id}&search=%25", headers=auth(admin)).json()
    assert [item["id"] for item in listing["items"]] == [percent.id]


def test_page_beyond_the_end_is_empty_with_the_total(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    for _ in range(3):
        make_project(session, customer_id=customer.id)
    listing = client.get(
        f"{URL}?customer_id={customer.id}&page=3&page_size=2", headers=auth(admin)
    ).json()
    assert listing["items"] == []
    assert listing["total"] == 3
    assert listing["page"] == 3


def test_second_page_holds_the_rest(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    projects = [make_project(session, customer_id=customer.id) for _ in range(3)]
    listing = client.get(
        f"{URL}?customer_id={customer.id}&page=2&page_size=2&sort=id", headers=auth(admin)
    ).json()
    assert [item["id"] for item in listing["items"]] == [projects[2].id]


def test_page_size_over_the_maximum_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.get(f"{URL}?page_size=201", headers=auth(admin))
    assert response.status_code == 422
    assert "page_size" in response.json()["error"]["message"]


# permissions and row scope


def test_project_manager_lists_only_own_projects(client, session, auth):
    manager = make_user(session, Role.project_manager)
    own = make_project(session, manager_id=manager.id)
    make_project(session)
    listing = client.get(URL, headers=auth(manager)).json()
    assert [item["id"] for item in listing["items"]] == [own.id]
    assert listing["total"] == 1


def test_project_manager_gets_the_missing_id_answer_for_another_managers_project(
    client, session, auth
):
    manager = make_user(session, Role.project_manager)
    other = make_project(session)
    response = client.get(f"{URL}/{other.id}", headers=auth(manager))
    assert response.status_code == 404
    assert response.json() == _not_found(other.id)


def test_project_manager_cannot_update_another_managers_project(client, session, auth):
    manager = make_user(session, Role.project_manager)
    other = make_project(session, name="Theirs")
    response = client.patch(f"{URL}/{other.id}", json={"name": "Mine"}, headers=auth(manager))
    assert response.status_code == 404
    assert response.json() == _not_found(other.id)


def test_project_manager_updates_own_project(client, session, auth):
    manager = make_user(session, Role.project_manager)
    own = make_project(session, manager_id=manager.id)
    response = client.post(f"{URL}/{own.id}/hold", headers=auth(manager))
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "on_hold"


def test_project_manager_cannot_hand_own_project_to_another_manager(client, session, auth):
    manager = make_user(session, Role.project_manager)
    colleague = make_user(session, Role.project_manager)
    own = make_project(session, manager_id=manager.id)
    response = client.patch(
        f"{URL}/{own.id}", json={"manager_id": colleague.id}, headers=auth(manager)
    )
    assert response.status_code == 422
    assert _field(response) == "manager_id"
    assert client.get(f"{URL}/{own.id}", headers=auth(manager)).json()["manager_id"] == manager.id


def test_admin_hands_a_project_to_another_manager(client, session, auth):
    admin = make_user(session, Role.admin)
    colleague = make_user(session, Role.project_manager)
    project = make_project(session)
    response = client.patch(
        f"{URL}/{project.id}", json={"manager_id": colleague.id}, headers=auth(admin)
    )
    assert response.status_code == 200
    assert response.json()["manager_id"] == colleague.id


def test_project_manager_creates_a_project_they_manage_for_a_customer_they_see(
    client, session, auth
):
    manager = make_user(session, Role.project_manager)
    customer = make_project(session, manager_id=manager.id).customer_id
    stranger = make_customer(session).id
    headers = auth(manager)
    unmanaged = client.post(URL, json=_new_project(customer), headers=headers)
    assert unmanaged.status_code == 422
    assert unmanaged.json()["error"]["details"] == {"field": "manager_id"}
    outside = client.post(URL, json=_new_project(stranger, manager.id), headers=headers)
    assert outside.status_code == 422
    assert outside.json()["error"]["details"] == {"field": "customer_id"}
    created = client.post(URL, json=_new_project(customer, manager.id), headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["manager_id"] == manager.id


def test_client_sees_only_its_customers_projects(client, session, auth):
    contact = make_user(session, Role.client)
    own = make_project(session, customer_id=contact.customer_id)
    other = make_project(session)
    listing = client.get(URL, headers=auth(contact)).json()
    assert [item["id"] for item in listing["items"]] == [own.id]
    hidden = client.get(f"{URL}/{other.id}", headers=auth(contact))
    assert hidden.status_code == 404
    assert hidden.json() == _not_found(other.id)


def test_client_cannot_update_its_own_project(client, session, auth):
    contact = make_user(session, Role.client)
    own = make_project(session, customer_id=contact.customer_id)
    response = client.patch(f"{URL}/{own.id}", json={"name": "X"}, headers=auth(contact))
    assert response.status_code == 403


def test_anonymous_caller_is_not_authenticated(client):
    assert client.get(URL).status_code == 401
