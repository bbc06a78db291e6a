"""An administrator sets a temporary password: audited, the user's sessions end, and the user
may do nothing but change it at their next login; changing it lifts the restriction."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from builders import PASSWORD, make_user
from oversight.audit.models import AuditEvent
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.vocabulary import Role


def _password() -> str:
    return "temp " + secrets.token_urlsafe(12)


def _login(client, username, password):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def test_a_temporary_password_must_be_changed_before_anything_else(client, session, auth):
    admin = make_user(session, Role.admin)
    engineer = make_user(session, Role.engineer)
    old_session = _login(client, engineer.username, PASSWORD).json()
    temporary = _password()
    response = client.post(
        f"/api/v1/users/{engineer.id}/password",
        json={"temporary_password": temporary},
        headers=auth(admin),
    )
    assert response.status_code == 200, response.text
    assert response.json()["sessions_ended"] >= 1
    refreshed = client.post(
        "/api/v1/auth/refresh", json={"refresh_token": old_session["refresh_token"]}
    )
    assert refreshed.status_code == 401  # the old session ended

    login = _login(client, engineer.username, temporary)
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    refused = client.get("/api/v1/requests", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"rule": "password_change_required"}
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200

    new = _password()
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": temporary, "new_password": new},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert client.get("/api/v1/requests", headers=headers).status_code == 200

    session.info.pop(PRINCIPAL_KEY, None)
    actions = session.scalars(
        select(AuditEvent.action).where(
            AuditEvent.entity_type == "user", AuditEvent.entity_id == str(engineer.id)
        )
    ).all()
    assert "user.password_reset" in actions
    assert "user.password_changed" in actions


def test_the_temporary_password_follows_the_policy(client, session, auth):
    admin = make_user(session, Role.admin)
    user = make_user(session, Role.viewer)
    response = client.post(
        f"/api/v1/users/{user.id}/password",
        json={"temporary_password": "short"},
        headers=auth(admin),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == "password"
