"""Row scope: records outside the caller's scope do not exist for them (404, absent from
lists), for every scoped model, for reads, updates and workflow actions alike."""

from __future__ import annotations

import pytest

from builders import (
    make_invoice,
    make_project,
    make_request,
    make_user,
)
from companies import make_company
from oversight.invoices.models import InvoiceStatus
from oversight.service_requests.models import RequestStatus
from oversight.vocabulary import Role


@pytest.fixture
def two_companies(session):
    """Two customers, each with its own manager, engineer, contact, project and records."""

    def company():
        made = make_company(session)
        people = {"manager": made.manager, "engineer": made.engineer, "contact": made.contact}
        return people | made.ids_by_path()

    return company(), company()


# What each scoped role may read at all (others are 403 by the permission table).
READABLE = {
    "manager": ["customers", "projects", "requests", "work-logs", "project-costs", "invoices"],
    "engineer": ["customers", "projects", "requests", "work-logs"],
    "contact": ["customers", "projects", "requests", "invoices"],
}
CASES = [(who, kind) for who, kinds in READABLE.items() for kind in kinds]


@pytest.mark.parametrize(("who", "kind"), CASES)
def test_own_record_is_visible_and_the_other_companys_is_404(
    client, session, auth, two_companies, who, kind
):
    mine, theirs = two_companies
    headers = auth(mine[who])
    assert client.get(f"/api/v1/{kind}/{mine[kind]}", headers=headers).status_code == 200
    hidden = client.get(f"/api/v1/{kind}/{theirs[kind]}", headers=headers)
    missing = client.get(f"/api/v1/{kind}/987654321", headers=headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("who", "kind"), CASES)
def test_lists_hold_only_own_records(client, session, auth, two_companies, who, kind):
    mine, theirs = two_companies
    body = client.get(f"/api/v1/{kind}?page_size=200", headers=auth(mine[who])).json()
    ids = {item["id"] for item in body["items"]}
    assert mine[kind] in ids
    assert theirs[kind] not in ids
    assert body["total"] == len(ids)


@pytest.mark.parametrize(
    ("who", "path", "body"),
    [
        ("manager", "requests/{requests}", {"title": "Hijacked title"}),
        ("manager", "projects/{projects}", {"name": "Hijacked"}),
        ("manager", "project-costs/{project-costs}", {"description": "Hijacked"}),
        ("engineer", "work-logs/{work-logs}", {"hours": "9.00"}),
    ],
)
def test_updates_to_the_other_companys_records_are_404(
    client, session, auth, two_companies, who, path, body
):
    mine, theirs = two_companies
    url = "/api/v1/" + path.format(**{k: v for k, v in theirs.items() if isinstance(v, int)})
    response = client.patch(url, json=body, headers=auth(mine[who]))
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("who", "action", "body"),
    [
        ("manager", "cancel", None),
        ("manager", "assign", "engineer"),
        ("engineer", "complete", None),
        ("contact", "cancel", None),
    ],
)
def test_actions_on_the_other_companys_requests_are_404(
    client, session, auth, two_companies, who, action, body
):
    mine, theirs = two_companies
    payload = {"engineer_id": mine["engineer"].id} if body == "engineer" else None
    response = client.post(
        f"/api/v1/requests/{theirs['requests']}/{action}", json=payload, headers=auth(mine[who])
    )
    assert response.status_code == 404


def test_client_does_not_see_draft_invoices_of_its_own_customer(client, session, auth):
    contact = make_user(session, Role.client)
    project = make_project(session, customer_id=contact.customer_id)
    draft = make_invoice(session, project_id=project.id, status=InvoiceStatus.draft)
    issued = make_invoice(session, project_id=project.id, status=InvoiceStatus.issued)
    listing = client.get("/api/v1/invoices", headers=auth(contact)).json()
    assert [item["id"] for item in listing["items"]] == [issued.id]
    assert client.get(f"/api/v1/invoices/{draft.id}", headers=auth(contact)).status_code == 404


def test_unassigning_an_engineer_removes_access_immediately(client, session, auth):
    engineer = make_user(session, Role.engineer)
    other = make_user(session, Role.engineer)
    admin = make_user(session, Role.admin)
    request = make_request(session, status=RequestStatus.assigned, assigned_engineer_id=engineer.id)
    assert client.get(f"/api/v1/requests/{request.id}", headers=auth(engineer)).status_code == 200
    reassigned = client.post(
        f"/api/v1/requests/{request.id}/assign",
        json={"engineer_id": other.id},
        headers=auth(admin),
    )
    assert reassigned.status_code == 200
    assert client.get(f"/api/v1/requests/{request.id}", headers=auth(engineer)).status_code == 404


def test_counting_respects_the_scope(client, session, auth):
    engineer = make_user(session, Role.engineer)
    for _ in range(3):
        make_request(session, status=RequestStatus.assigned, assigned_engineer_id=engineer.id)
    for _ in range(4):
        make_request(session)
    body = client.get("/api/v1/requests", headers=auth(engineer)).json()
    assert body["total"] == 3


def test_unassigned_engineer_loses_the_request_its_customer_and_its_actions_at_once(
    client, session, auth
):
    engineer = make_user(session, Role.engineer)
    other = make_user(session, Role.engineer)
    admin = make_user(session, Role.admin)
    request = make_request(session, status=RequestStatus.assigned, assigned_engineer_id=engineer.id)
    headers = auth(engineer)  # the same token before and after
    customer = f"/api/v1/customers/{request.customer_id}"
    assert client.get(customer, headers=headers).status_code == 200
    client.post(
        f"/api/v1/requests/{request.id}/assign", json={"engineer_id": other.id}, headers=auth(admin)
    ).raise_for_status()
    assert client.get(customer, headers=headers).status_code == 404
    assert client.post(f"/api/v1/requests/{request.id}/start", headers=headers).status_code == 404
    logged = client.post(
        "/api/v1/work-logs",
        json={"request_id": request.id, "work_date": "2026-03-03", "hours": "1.00"},
        headers=headers,
    )
    assert logged.status_code == 422
    assert client.get("/api/v1/requests", headers=headers).json()["total"] == 0


def test_moving_a_client_to_another_customer_takes_effect_on_the_next_request(
    client, session, auth
):
    old_request = make_request(session)
    new_request = make_request(session)
    contact = make_user(session, Role.client, customer_id=old_request.customer_id)
    admin = make_user(session, Role.admin)
    headers = auth(contact)  # the token names the user, not the customer
    assert client.get(f"/api/v1/requests/{old_request.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/requests/{new_request.id}", headers=headers).status_code == 404
    client.patch(
        f"/api/v1/users/{contact.id}",
        json={"customer_id": new_request.customer_id},
        headers=auth(admin),
    ).raise_for_status()
    assert client.get(f"/api/v1/requests/{old_request.id}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/requests/{new_request.id}", headers=headers).status_code == 200
    listed = client.get("/api/v1/requests", headers=headers).json()["items"]
    assert [item["id"] for item in listed] == [new_request.id]
    created = client.post("/api/v1/requests", json={"title": "After the move"}, headers=headers)
    assert created.json()["customer_id"] == new_request.customer_id
