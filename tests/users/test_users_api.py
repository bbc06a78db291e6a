from __future__ import annotations

from builders import make_customer, make_user
from oversight.vocabulary import Role

VALID = {"full_name": "Ivan Petrov", "password": "a long enough password"}


def test_admin_creates_an_engineer_with_default_capacity(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post(
        "/api/v1/users",
        json={**VALID, "username": "i.petrov", "role": "engineer", "cost_rate": "1800.00"},
        headers=auth(admin),
    )
    assert response.status_code == 201, response.text
    assert response.json()["weekly_capacity_hours"] == "40.00"
    assert "password" not in response.json()
    assert "password_hash" not in response.json()


def test_client_user_needs_a_customer(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post(
        "/api/v1/users", json={**VALID, "username": "c.one", "role": "client"}, headers=auth(admin)
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "customer_id"}


def test_staff_user_cannot_belong_to_a_customer(client, session, auth):
    admin = make_user(session, Role.admin)
    customer = make_customer(session)
    response = client.post(
        "/api/v1/users",
        json={**VALID, "username": "e.two", "role": "engineer", "customer_id": customer.id},
        headers=auth(admin),
    )
    assert response.status_code == 422


def test_short_password_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post(
        "/api/v1/users",
        json={**VALID, "username": "s.short", "role": "viewer", "password": "short"},
        headers=auth(admin),
    )
    assert response.status_code == 422
    assert "password" in response.json()["error"]["message"]


def test_taken_username_is_a_conflict(client, session, auth):
    admin = make_user(session, Role.admin)
    make_user(session, Role.viewer, username="taken.name")
    response = client.post(
        "/api/v1/users",
        json={**VALID, "username": "taken.name", "role": "viewer"},
        headers=auth(admin),
    )
    assert response.status_code == 409


def test_unknown_role_is_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.post(
        "/api/v1/users",
        json={**VALID, "username": "x.role", "role": "overlord"},
        headers=auth(admin),
    )
    assert response.status_code == 422
    assert "role" in response.json()["error"]["message"]


def test_moving_a_user_out_of_the_client_role_drops_the_customer(client, session, auth):
    admin = make_user(session, Role.admin)
    contact = make_user(session, Role.client)
    response = client.patch(
        f"/api/v1/users/{contact.id}", json={"role": "viewer"}, headers=auth(admin)
    )
    assert response.status_code == 200
    assert response.json()["customer_id"] is None


def test_only_admins_manage_users(client, session, auth):
    director = make_user(session, Role.director)
    response = client.post(
        "/api/v1/users",
        json={**VALID, "username": "d.new", "role": "viewer"},
        headers=auth(director),
    )
    assert response.status_code == 403


def test_profile_update_keeps_role(client, session, auth):
    engineer = make_user(session, Role.engineer)
    response = client.patch(
        "/api/v1/users/me", json={"phone": "+7 900 123-45-67"}, headers=auth(engineer)
    )
    assert response.status_code == 200
    assert response.json()["role"] == "engineer"
