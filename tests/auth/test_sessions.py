"""Sessions: refresh rotates, logout ends the session, disabling or a 2FA role ends it too."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from builders import make_user
from logins import LOGOUT, REFRESH, bearer, events, login
from oversight.auth.models import AuthSession, RefreshToken, User
from oversight.kit.clock import utcnow
from oversight.vocabulary import Role

ME = "/api/v1/users/me"


def test_login_gives_a_15_minute_access_token_and_a_refresh_token(client, session):
    engineer = make_user(session, Role.engineer)
    body = login(client, engineer.username).json()
    assert body["expires_in"] == 15 * 60
    assert body["refresh_expires_in"] > 24 * 3600
    assert client.get(ME, headers=bearer(body["access_token"])).status_code == 200
    [stored] = session.query(RefreshToken).all()
    assert stored.token_hash != body["refresh_token"]
    assert body["refresh_token"] not in stored.token_hash


def test_refresh_rotates_both_tokens(client, session):
    engineer = make_user(session, Role.engineer)
    first = login(client, engineer.username).json()
    second = client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"]
    assert client.get(ME, headers=bearer(renewed["access_token"])).status_code == 200
    third = client.post(REFRESH, json={"refresh_token": renewed["refresh_token"]})
    assert third.status_code == 200


def test_unknown_refresh_token_is_401_and_audited(client, session):
    response = client.post(REFRESH, json={"refresh_token": "made-up-token"})
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "invalid, expired or revoked refresh token"
    assert events(session, "auth.refresh_refused")[-1].reason == "unknown refresh token"


def test_expired_refresh_token_is_401(client, session):
    engineer = make_user(session, Role.engineer)
    tokens = login(client, engineer.username).json()
    session.execute(update(RefreshToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    response = client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 401


def test_session_past_its_absolute_end_ends_its_access_tokens(client, session):
    engineer = make_user(session, Role.engineer)
    tokens = login(client, engineer.username).json()
    session.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert client.get(ME, headers=bearer(tokens["access_token"])).status_code == 401
    assert client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_logout_ends_refresh_and_access_tokens_of_that_session_only(client, session):
    engineer = make_user(session, Role.engineer)
    laptop = login(client, engineer.username).json()
    phone = login(client, engineer.username).json()
    assert client.post(LOGOUT, json={"refresh_token": laptop["refresh_token"]}).status_code == 204
    assert client.get(ME, headers=bearer(laptop["access_token"])).status_code == 401
    assert client.post(REFRESH, json={"refresh_token": laptop["refresh_token"]}).status_code == 401
    assert client.get(ME, headers=bearer(phone["access_token"])).status_code == 200
    assert events(session, "auth.logout", entity_id=str(engineer.id))


def test_logout_with_an_unknown_token_answers_the_same(client):
    assert client.post(LOGOUT, json={"refresh_token": "nothing"}).status_code == 204


def test_disabling_a_user_revokes_their_sessions(client, session, auth):
    engineer = make_user(session, Role.engineer)
    admin = make_user(session, Role.admin)
    tokens = login(client, engineer.username).json()
    response = client.patch(
        f"/api/v1/users/{engineer.id}", json={"is_active": False}, headers=auth(admin)
    )
    assert response.status_code == 200
    session.expire_all()
    session.get(User, engineer.id).is_active = True
    session.flush()
    # Re-enabled, the old session stays ended: disabling revoked it, not just the account.
    assert client.get(ME, headers=bearer(tokens["access_token"])).status_code == 401
    assert client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_role_change_to_a_2fa_role_stops_a_session_without_second_factor(client, session):
    engineer = make_user(session, Role.engineer)
    tokens = login(client, engineer.username).json()
    session.get(User, engineer.id).role = Role.accountant
    session.flush()
    response = client.get(ME, headers=bearer(tokens["access_token"]))
    assert response.status_code == 403
    assert "requires two-factor authentication" in response.json()["error"]["message"]
    assert client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).status_code == 401


def test_role_change_is_seen_by_the_next_refreshed_token(client, session):
    engineer = make_user(session, Role.engineer)
    tokens = login(client, engineer.username).json()
    session.get(User, engineer.id).role = Role.viewer
    session.flush()
    renewed = client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).json()
    assert client.get(ME, headers=bearer(renewed["access_token"])).json()["role"] == "viewer"
