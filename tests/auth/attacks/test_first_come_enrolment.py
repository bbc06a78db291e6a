"""Attack: first-come 2FA enrolment (issue 12, finding 10). Whoever held the password of an
account in a 2FA role that never enrolled could enrol their own authenticator and own it.
Enrolment now needs an administrator's enrolment token (API or CLI; single use, expiring,
audited) unless the account is new (created within `auth.first_enrolment_hours`)."""

from __future__ import annotations

from datetime import timedelta

from builders import make_user
from logins import ENROL, bearer, events, login
from oversight.kit.clock import utcnow
from oversight.vocabulary import Role


def _dormant_admin(session):  # type: ignore[no-untyped-def]
    """An admin created long ago who never enrolled."""
    return make_user(session, Role.admin, created_at=utcnow() - timedelta(days=30))


def _issue(client, session, auth, user):  # type: ignore[no-untyped-def]
    issuer = make_user(session, Role.admin)
    response = client.post(
        f"/api/v1/users/{user.id}/two-factor/enrolment-token", headers=auth(issuer)
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()["enrolment_token"]


def test_the_password_alone_cannot_enrol_a_dormant_account(client, session):
    victim = _dormant_admin(session)
    pending = login(client, victim.username).json()["pending_token"]
    response = client.post(ENROL, headers=bearer(pending))
    assert response.status_code == 403, response.text
    assert "enrolment token" in response.json()["error"]["message"]
    [event] = events(session, "access.denied", entity_id=str(victim.id))
    assert event.reason == "enrolment token required"


def test_an_administrators_token_admits_one_enrolment_only(client, session, auth):
    user = _dormant_admin(session)
    token = _issue(client, session, auth, user)
    assert events(session, "auth.enrolment_token_issued", entity_id=str(user.id))
    pending = login(client, user.username).json()["pending_token"]
    started = client.post(ENROL, json={"enrolment_token": token}, headers=bearer(pending))
    assert started.status_code == 201, started.text
    assert events(session, "auth.enrolment_token_used", entity_id=str(user.id))
    again = client.post(ENROL, json={"enrolment_token": token}, headers=bearer(pending))
    assert again.status_code == 403
    assert events(session, "access.denied", entity_id=str(user.id))[-1].reason == (
        "invalid, used or expired enrolment token"
    )


def test_another_accounts_or_an_expired_token_does_not_work(client, session, auth, settings):
    user, other = _dormant_admin(session), _dormant_admin(session)
    others_token = _issue(client, session, auth, other)
    pending = login(client, user.username).json()["pending_token"]
    refused = client.post(ENROL, json={"enrolment_token": others_token}, headers=bearer(pending))
    assert refused.status_code == 403
    token = _issue(client, session, auth, user)
    from oversight.auth.models import EnrolmentToken

    for row in session.query(EnrolmentToken).filter_by(user_id=user.id):
        row.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    expired = client.post(ENROL, json={"enrolment_token": token}, headers=bearer(pending))
    assert expired.status_code == 403


def test_a_new_account_enrols_at_its_first_login_without_a_token(client, session):
    user = make_user(session, Role.director)  # created just now
    pending = login(client, user.username).json()["pending_token"]
    assert client.post(ENROL, headers=bearer(pending)).status_code == 201


def test_only_administrators_issue_enrolment_tokens(client, session, auth):
    user = _dormant_admin(session)
    for role in (Role.director, Role.accountant, Role.project_manager, Role.engineer):
        response = client.post(
            f"/api/v1/users/{user.id}/two-factor/enrolment-token",
            headers=auth(make_user(session, role)),
        )
        assert response.status_code == 403, (role, response.text)
