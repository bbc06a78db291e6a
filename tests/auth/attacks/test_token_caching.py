"""Attack: reading credentials back out of a cache (issue 12, finding 8). Every answer that
carries a token, a TOTP secret or recovery codes says `Cache-Control: no-store` and
`Pragma: no-cache` (RFC 6749, section 5.1): login, refresh, 2FA enrolment and verification,
recovery codes — the whole /auth router, so a new credential endpoint cannot forget it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from builders import make_user
from logins import CONFIRM, ENROL, REFRESH, VERIFY, bearer, login
from oversight.vocabulary import Role


def _not_cached(response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code < 300, response.text
    assert response.headers["cache-control"] == "no-store", response.request.url
    assert response.headers["pragma"] == "no-cache", response.request.url


def test_login_and_refresh_answers_are_not_cached(client: TestClient, session) -> None:
    engineer = make_user(session, Role.engineer)
    answer = login(client, engineer.username)
    _not_cached(answer)
    _not_cached(client.post(REFRESH, json={"refresh_token": answer.json()["refresh_token"]}))


def test_every_two_factor_answer_is_not_cached(client: TestClient, session, tf) -> None:
    admin = make_user(session, Role.admin)
    pending = login(client, admin.username)
    _not_cached(pending)  # the pending token
    token = pending.json()["pending_token"]
    _not_cached(client.post(ENROL, headers=bearer(token)))  # the TOTP secret
    _not_cached(client.get(ENROL + "/qr.png", headers=bearer(token)))
    confirmed = client.post(CONFIRM, json={"code": tf.code(admin.id)}, headers=bearer(token))
    _not_cached(confirmed)  # recovery codes and the first session
    tf.clock.advance()
    token = login(client, admin.username).json()["pending_token"]
    verified = client.post(VERIFY, json={"code": tf.code(admin.id)}, headers=bearer(token))
    _not_cached(verified)
    access = verified.json()["session"]["access_token"]
    _not_cached(client.post("/api/v1/auth/2fa/recovery-codes", headers=bearer(access)))
