"""Attack: telling which usernames exist. Unknown user, wrong password and disabled account
answer alike (status, body, headers); an unknown user still costs a password verification
(against a dummy hash); throttling treats unknown names like known ones."""

from __future__ import annotations

from builders import make_user
from logins import events, login
from oversight.security import passwords
from oversight.vocabulary import Role


def comparable(response):  # type: ignore[no-untyped-def]
    headers = {
        k: v for k, v in response.headers.items() if k in {"www-authenticate", "content-type"}
    }
    return response.status_code, response.json(), headers


def test_unknown_user_wrong_password_and_disabled_account_look_the_same(client, session):
    known = make_user(session, Role.director)
    disabled = make_user(session, Role.engineer, is_active=False)
    wrong = login(client, known.username, "not the password")
    unknown = login(client, "no.such.person", "not the password")
    inactive = login(client, disabled.username)
    assert comparable(wrong) == comparable(unknown) == comparable(inactive)
    assert wrong.status_code == 401
    reasons = [e.reason for e in events(session, "auth.login_failed")]
    assert reasons == ["wrong password", "unknown user", "account disabled"]


def test_unknown_user_costs_a_password_verification(client, session, monkeypatch):
    calls = []
    original = passwords.Passwords.spend_verification_time

    def counting(self, password):  # type: ignore[no-untyped-def]
        calls.append(password)
        original(self, password)

    monkeypatch.setattr(passwords.Passwords, "spend_verification_time", counting)
    login(client, "no.such.person", "some password")
    assert calls == ["some password"]


def test_throttling_does_not_tell_known_from_unknown_names(client_with, session):
    client = client_with(login_backoff_base_seconds=300)
    known = make_user(session, Role.engineer)
    answers = {}
    for name in (known.username, "no.such.person"):
        for _ in range(4):
            login(client, name, "not the password")
        answers[name] = login(client, name, "not the password")
    a, b = answers.values()
    assert a.status_code == b.status_code == 429
    assert a.json() == b.json()
    assert abs(int(a.headers["retry-after"]) - int(b.headers["retry-after"])) <= 1
