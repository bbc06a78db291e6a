from __future__ import annotations

from datetime import timedelta

import jwt

from builders import PASSWORD, make_user
from oversight.auth import access_tokens as auth_tokens
from oversight.auth.models import User
from oversight.kit.clock import utcnow
from oversight.vocabulary import Role


def test_login_returns_a_bearer_token_that_opens_the_api(client, session):
    user = make_user(session, Role.engineer)
    response = client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["access_token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == user.username


def test_username_is_case_insensitive(client, session):
    user = make_user(session, Role.viewer)
    response = client.post(
        "/api/v1/auth/login", json={"username": user.username.upper(), "password": PASSWORD}
    )
    assert response.status_code == 200


def test_wrong_password_and_unknown_user_look_the_same(client, session):
    user = make_user(session, Role.engineer)
    wrong = client.post("/api/v1/auth/login", json={"username": user.username, "password": "x"})
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()


def test_disabled_user_cannot_log_in(client, session):
    user = make_user(session, Role.engineer, is_active=False)
    response = client.post(
        "/api/v1/auth/login", json={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 401


def test_sensitive_roles_get_shorter_tokens(client, session, settings):
    admin = make_user(session, Role.admin)
    engineer = make_user(session, Role.engineer)
    _, admin_life = auth_tokens.issue_access_token(settings=settings, user=admin, session_id="s1")
    _, engineer_life = auth_tokens.issue_access_token(
        settings=settings, user=engineer, session_id="s2"
    )
    assert admin_life == timedelta(minutes=settings.auth.sensitive_access_token_minutes)
    assert engineer_life == timedelta(minutes=settings.auth.access_token_minutes)


def test_missing_token_is_401_with_the_error_shape(client):
    response = client.get("/api/v1/requests")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.headers["www-authenticate"] == "Bearer"


def test_garbage_token_is_401(client):
    response = client.get("/api/v1/requests", headers={"Authorization": "Bearer not.a.jwt"})
    assert response.status_code == 401


def test_expired_token_is_401(client, session, settings):
    user = make_user(session, Role.admin)
    token = auth_tokens.signer(settings).issue(
        subject=str(user.id), lifetime=timedelta(seconds=-1), now=utcnow() - timedelta(hours=1)
    )
    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


def _valid_claims(user: User) -> dict[str, object]:
    """Claims our signer would accept, for tokens forged in other ways."""
    now = utcnow()
    return {
        "sub": str(user.id),
        "iss": "oversight",
        "aud": "oversight-api",
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
        "typ": "access",
    }


def test_token_signed_with_another_key_is_401(client, session):
    user = make_user(session, Role.admin)
    forged = jwt.encode(
        _valid_claims(user),
        "another-secret-that-is-long-enough-to-sign",
        algorithm="HS256",
    )
    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401


def test_unsigned_token_is_401(client, session):
    user = make_user(session, Role.admin)
    unsigned = jwt.encode(
        _valid_claims(user),
        None,
        algorithm="none",
    )
    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {unsigned}"})
    assert response.status_code == 401


def test_disabling_a_user_takes_effect_on_the_next_request(client, session, auth):
    user = make_user(session, Role.engineer)
    headers = auth(user)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    session.get(User, user.id).is_active = False
    session.flush()
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401


def test_role_change_takes_effect_on_the_next_request(client, session, auth):
    user = make_user(session, Role.admin)
    headers = auth(user)
    assert client.get("/api/v1/users", headers=headers).status_code == 200
    session.get(User, user.id).role = Role.engineer
    session.flush()
    assert client.get("/api/v1/users", headers=headers).status_code == 403


def test_user_cannot_change_own_role_through_profile(client, session, auth):
    user = make_user(session, Role.engineer)
    response = client.patch("/api/v1/users/me", json={"role": "admin"}, headers=auth(user))
    assert response.status_code == 422
    assert "role" in response.json()["error"]["message"]
