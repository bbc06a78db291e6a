from __future__ import annotations

from builders import make_customer, make_user
from oversight.vocabulary import Role


def test_admin_creates_customer_and_reads_it_back(client, session, auth):
    admin = make_user(session, Role.admin)
    body = {"name": "Northwind Logistics", "phone": "+7 495 000-11-22", "email": "ops@nw.example"}
    created = client.post("/api/v1/customers", json=body, headers=auth(admin))
    assert created.status_code == 201
    fetched = client.get(f"/api/v1/customers/{created.json()['id']}", headers=auth(admin))
    assert fetched.json()["name"] == "Northwind Logistics"
    assert fetched.json()["email"] == "ops@nw.example"


def test_duplicate_customer_name_is_a_conflict_whatever_the_case(client, session, auth):
    admin = make_user(session, Role.admin)
    make_customer(session, name="Globex")
    response = client.post("/api/v1/customers", json={"name": "GLOBEX"}, headers=auth(admin))
    assert response.status_code == 409
    assert "Globex".lower() in response.json()["error"]["message"].lower()


def test_invalid_email_is_refused_naming_the_field(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post(
        "/api/v1/customers", json={"name": "X", "email": "not-an-email"}, headers=auth(admin)
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body.email"


def test_id_in_body_is_refused_not_ignored(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post("/api/v1/customers", json={"name": "Y", "id": 7}, headers=auth(admin))
    assert response.status_code == 422
    assert "body.id" in response.json()["error"]["message"]


def test_partial_update_changes_only_given_fields(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session, name="Initech", phone="+7 900 111-22-33")
    response = client.patch(
        f"/api/v1/customers/{customer.id}", json={"contact_person": "Bill L."}, headers=auth(admin)
    )
    assert response.status_code == 200
    assert response.json()["phone"] == "+7 900 111-22-33"
    assert response.json()["contact_person"] == "Bill L."


def test_list_is_paginated_with_total(client, session, auth):
    admin = make_user(session, Role.admin)
    for n in range(5):
        make_customer(session, name=f"Paged {n}")
    response = client.get(
        "/api/v1/customers?search=Paged&page=2&page_size=2&sort=-name", headers=auth(admin)
    )
    body = response.json()
    assert body["total"] == 5
    assert [item["name"] for item in body["items"]] == ["Paged 2", "Paged 1"]


def test_page_past_the_end_is_empty_but_keeps_total(client, session, auth):
    admin = make_user(session, Role.admin)
    make_customer(session, name="Lonely")
    response = client.get("/api/v1/customers?search=Lonely&page=9", headers=auth(admin))
    assert response.json()["items"] == []
    assert response.json()["total"] == 1


def test_page_size_above_maximum_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.get("/api/v1/customers?page_size=201", headers=auth(admin))
    assert response.status_code == 422
    assert "page_size" in response.json()["error"]["message"]


def test_client_sees_only_its_own_customer(client, session, auth):
    user = make_user(session, Role.client)
    other = make_customer(session)
    listing = client.get("/api/v1/customers", headers=auth(user)).json()
    assert [item["id"] for item in listing["items"]] == [user.customer_id]
    assert listing["total"] == 1
    hidden = client.get(f"/api/v1/customers/{other.id}", headers=auth(user))
    missing = client.get("/api/v1/customers/999999", headers=auth(user))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["error"]["code"] == missing.json()["error"]["code"]


def test_engineer_cannot_create_customers(client, session, auth):
    engineer = make_user(session, Role.engineer)
    response = client.post("/api/v1/customers", json={"name": "Z"}, headers=auth(engineer))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
