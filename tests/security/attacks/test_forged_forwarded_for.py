"""Attack: forging X-Forwarded-For (and X-Forwarded-Proto) to pass as another address.

A client that writes the header itself must change nothing — not the IP in the audit trail,
not the access log, not an IP allowlist, not its rate-limit count. Behind our trusted proxy,
the address the proxy saw is the client, whatever the client prepended.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from builders import PASSWORD, make_user
from edge import OUTSIDE, PROXY, client_from, edge_settings, make_edge_app
from engines import EMBEDDED_ONLY
from oversight.audit.models import AuditEvent
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY

OFFICE = "10.9.9.9"  # an address the admin allowlist admits
REAL = "198.51.100.20"  # the attacker's real address, as our proxy sees it
LOGIN = "/api/v1/auth/login"


@pytest.fixture
def guarded_app(app, settings, engine):
    """Trusted proxy 10.0.0.0/24; admin paths for the office only; login 3 a minute per IP."""
    configured = edge_settings(
        settings,
        api={"trusted_proxies": ["10.0.0.0/24"], "admin_allow": ["10.9.9.0/24"]},
        ratelimit={"rules": {"login": {"per_ip": "3/minute", "per_user": None}}},
    )
    return make_edge_app(app, configured, engine)


def failed_login_ips(session) -> list[str | None]:
    statement = (
        select(AuditEvent.client_ip)
        .where(AuditEvent.action == "auth.login_failed")
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(statement))


WRONG = "wrong-guess"


def attempt(client, username: str, forged: str | None = None, password: str = WRONG):
    headers = {"X-Forwarded-For": forged} if forged else {}
    return client.post(LOGIN, json={"username": username, "password": password}, headers=headers)


def test_forged_header_from_outside_leaves_the_audited_ip_unchanged(guarded_app, session):
    user = make_user(session, Role.engineer)
    with client_from(guarded_app, OUTSIDE) as client:
        assert attempt(client, user.username, forged=OFFICE).status_code == 401
    assert failed_login_ips(session)[-1] == OUTSIDE[0]


def test_forged_header_from_outside_leaves_the_access_log_unchanged(guarded_app, json_logs):
    with client_from(guarded_app, OUTSIDE) as client:
        client.get("/health", headers={"X-Forwarded-For": OFFICE})
    (line,) = [line for line in json_logs() if line.get("action") == "http_request"]
    assert line["client_ip"] == OUTSIDE[0]


def test_forged_header_from_outside_does_not_open_admin_paths(guarded_app, session, auth):
    admin = make_user(session, Role.admin)
    with client_from(guarded_app, OUTSIDE) as client:
        response = client.get("/api/v1/users", headers={**auth(admin), "X-Forwarded-For": OFFICE})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_rotating_forged_addresses_do_not_reset_the_rate_limit(guarded_app, session):
    user = make_user(session, Role.engineer)
    with client_from(guarded_app, OUTSIDE) as client:
        statuses = [
            attempt(client, user.username, forged=f"192.0.2.{n}").status_code for n in range(5)
        ]
    assert statuses == [401, 401, 401, 429, 429]


def test_behind_the_proxy_the_address_it_saw_is_audited(guarded_app, session):
    user = make_user(session, Role.engineer)
    with client_from(guarded_app, PROXY) as client:
        # The client sent "X-Forwarded-For: 10.9.9.9"; our proxy appended what it saw.
        assert attempt(client, user.username, forged=f"{OFFICE}, {REAL}").status_code == 401
    assert failed_login_ips(session)[-1] == REAL


def test_behind_the_proxy_a_forged_office_address_does_not_open_admin_paths(
    guarded_app, session, auth
):
    admin = make_user(session, Role.admin)
    with client_from(guarded_app, PROXY) as client:
        forged = client.get(
            "/api/v1/users", headers={**auth(admin), "X-Forwarded-For": f"{OFFICE}, {REAL}"}
        )
        genuine = client.get("/api/v1/users", headers={**auth(admin), "X-Forwarded-For": OFFICE})
    assert forged.status_code == 403
    assert genuine.status_code == 200


def test_behind_the_proxy_rotating_forged_addresses_do_not_reset_the_rate_limit(
    guarded_app, session
):
    user = make_user(session, Role.engineer)
    with client_from(guarded_app, PROXY) as client:
        statuses = [
            attempt(client, user.username, forged=f"192.0.2.{n}, {REAL}").status_code
            for n in range(5)
        ]
    assert statuses == [401, 401, 401, 429, 429]


def test_a_genuine_login_from_another_address_is_not_limited_by_the_attacker(guarded_app, session):
    user = make_user(session, Role.engineer)
    with client_from(guarded_app, PROXY) as client:
        for _ in range(4):
            attempt(client, user.username, forged=REAL)
        response = attempt(client, user.username, forged="198.51.100.99", password=PASSWORD)
    assert response.status_code == 200


def test_forged_https_from_outside_gets_no_hsts(guarded_app):
    with client_from(guarded_app, OUTSIDE) as client:
        forged = client.get("/health", headers={"X-Forwarded-Proto": "https"})
    with client_from(guarded_app, PROXY) as client:
        genuine = client.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" not in forged.headers
    assert genuine.headers["strict-transport-security"].startswith("max-age=")
