"""Passwords through the API: policy on creation and change, rehash on login."""

from __future__ import annotations

from argon2 import extract_parameters

from builders import PASSWORD, make_user
from logins import bearer, events, login
from oversight.auth.models import User
from oversight.vocabulary import Role

CHANGE = "/api/v1/auth/password"


def create(client, auth, admin, password):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/users",
        json={"username": "new.user", "full_name": "New User", "password": password,
              "role": "viewer"},
        headers=auth(admin),
    )  # fmt: skip


def test_user_creation_names_the_failed_rule(client, session, auth):
    admin = make_user(session, Role.admin)
    cases = {
        "short-pass1": "min_length",
        "x" * 129: "max_length",
        "qwerty123456": "common",
        "xx-new.user-yy-2026": "contains_username",
    }
    for password, rule in cases.items():
        response = create(client, auth, admin, password)
        assert response.status_code == 422, password
        error = response.json()["error"]
        assert error["details"] == {"field": "password", "rule": rule}
    assert (
        "at least 12 characters" in create(client, auth, admin, "short").json()["error"]["message"]
    )
    assert create(client, auth, admin, "granite owl lantern 42").status_code == 201


def test_passwords_are_taken_exactly_as_typed(client, session, auth):
    admin = make_user(session, Role.admin)
    assert create(client, auth, admin, "  spaced owl lantern  ").status_code == 201
    assert login(client, "new.user", "spaced owl lantern").status_code == 401
    assert login(client, "new.user", "  spaced owl lantern  ").status_code == 200


def test_caller_changes_their_password_and_other_sessions_end(client, session):
    engineer = make_user(session, Role.engineer)
    other = login(client, engineer.username).json()
    current = login(client, engineer.username).json()
    response = client.post(
        CHANGE,
        json={"current_password": PASSWORD, "new_password": "granite owl lantern 42"},
        headers=bearer(current["access_token"]),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"other_sessions_ended": 1}
    assert client.get("/api/v1/users/me", headers=bearer(other["access_token"])).status_code == 401
    assert (
        client.get("/api/v1/users/me", headers=bearer(current["access_token"])).status_code == 200
    )
    assert login(client, engineer.username).status_code == 401
    assert login(client, engineer.username, "granite owl lantern 42").status_code == 200
    assert events(session, "user.password_changed", entity_id=str(engineer.id))


def test_wrong_current_password_is_refused_audited_and_counted(client, session, auth):
    engineer = make_user(session, Role.engineer)
    response = client.post(
        CHANGE,
        json={"current_password": "not my password", "new_password": "granite owl lantern 42"},
        headers=auth(engineer),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "current_password"}
    assert events(session, "auth.password_change_failed", entity_id=str(engineer.id))
    assert login(client, engineer.username, "granite owl lantern 42").status_code == 401


def test_new_password_must_pass_the_policy(client, session, auth):
    engineer = make_user(session, Role.engineer)
    response = client.post(
        CHANGE,
        json={"current_password": PASSWORD, "new_password": "password1234"},
        headers=auth(engineer),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "new_password", "rule": "common"}


def test_hash_is_upgraded_at_the_next_login_when_the_cost_setting_changes(client_with, session):
    engineer = make_user(session, Role.engineer)
    before = session.get(User, engineer.id).password_hash
    assert extract_parameters(before).time_cost == 2
    client = client_with(argon2_time_cost=3)
    assert login(client, engineer.username).status_code == 200
    session.expire_all()
    after = session.get(User, engineer.id).password_hash
    assert after != before
    assert extract_parameters(after).time_cost == 3
    [event] = events(session, "user.password_rehashed", entity_id=str(engineer.id))
    assert "changed" in event.changes
    assert login(client, engineer.username).status_code == 200  # and it verifies
    assert len(events(session, "user.password_rehashed", entity_id=str(engineer.id))) == 1


def test_wrong_password_does_not_rehash(client_with, session):
    engineer = make_user(session, Role.engineer)
    before = session.get(User, engineer.id).password_hash
    login(client_with(argon2_time_cost=3), engineer.username, "wrong password!")
    session.expire_all()
    assert session.get(User, engineer.id).password_hash == before
