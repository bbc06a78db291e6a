"""Exact-match lookups on encrypted contact details, through the API and the blind index."""

from __future__ import annotations

from sqlalchemy import text

from builders import make_customer, make_user
from oversight.vocabulary import Role


def names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


def test_customers_are_found_by_phone_written_any_way(client, session, auth):
    admin = make_user(session, Role.admin)
    make_customer(session, name="Northwind", phone="+7 (495) 000-11-22")
    make_customer(session, name="Globex", phone="+7 495 000-11-23")
    for written in ("+7 (495) 000-11-22", "74950001122", "+7 495 000 11 22"):
        found = client.get("/api/v1/customers", params={"phone": written}, headers=auth(admin))
        assert names(found) == ["Northwind"]
        assert found.json()["total"] == 1


def test_customers_are_found_by_email_whatever_the_case(client, session, auth):
    admin = make_user(session, Role.admin)
    make_customer(session, name="Initech", email="Ops@Initech.example")
    response = client.get(
        "/api/v1/customers", params={"email": "ops@initech.EXAMPLE"}, headers=auth(admin)
    )
    assert names(response) == ["Initech"]
    assert response.json()["items"][0]["email"] == "Ops@Initech.example"


def test_no_match_and_substrings_find_nothing(client, session, auth):
    admin = make_user(session, Role.admin)
    make_customer(session, name="Umbrella", phone="+7 495 111-22-33", email="a@umbrella.example")
    for params in ({"phone": "111-22-33"}, {"email": "umbrella.example"}, {"phone": "+7 999"}):
        assert names(client.get("/api/v1/customers", params=params, headers=auth(admin))) == []


def test_a_blind_index_collision_is_filtered_out_after_decryption(client, session, auth):
    admin = make_user(session, Role.admin)
    wanted = make_customer(session, name="Wanted", phone="+7 495 222-33-44")
    impostor = make_customer(session, name="Impostor", phone="+7 495 999-99-99")
    # Give the impostor the same blind index, as a truncated HMAC may by chance.
    session.connection().execute(
        text("UPDATE customers SET phone_bidx = :index WHERE id = :id"),
        {"index": wanted.phone_bidx, "id": impostor.id},
    )
    response = client.get(
        "/api/v1/customers", params={"phone": "+7 495 222-33-44"}, headers=auth(admin)
    )
    assert names(response) == ["Wanted"]
    assert response.json()["total"] == 1


def test_lookup_keeps_the_row_scope(client, session, auth):
    contact = make_user(session, Role.client)
    make_customer(session, name="Someone Else", phone="+7 495 555-00-01")
    response = client.get(
        "/api/v1/customers", params={"phone": "+7 495 555-00-01"}, headers=auth(contact)
    )
    assert names(response) == []


def test_contact_details_are_sorted_by_nothing_encrypted(client, session, auth):
    admin = make_user(session, Role.admin)
    for path, field in (("customers", "email"), ("users", "full_name"), ("users", "email")):
        response = client.get(f"/api/v1/{path}", params={"sort": field}, headers=auth(admin))
        assert response.status_code == 422, (path, field)


def test_users_are_found_by_email(client, session, auth):
    admin = make_user(session, Role.admin)
    make_user(session, Role.engineer, username="pavel", email="Pavel@Staff.example")
    response = client.get(
        "/api/v1/users", params={"email": "pavel@staff.example"}, headers=auth(admin)
    )
    assert response.status_code == 200
    assert [u["username"] for u in response.json()["items"]] == ["pavel"]
