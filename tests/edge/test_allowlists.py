"""IP allowlists: admin endpoints and /metrics, on the client address behind trusted proxies."""

from __future__ import annotations

import json

import pytest

from builders import make_user
from edge import OUTSIDE, PROXY, client_from, edge_settings, make_edge_app
from engines import EMBEDDED_ONLY
from oversight.config import ObservabilitySettings
from oversight.observability import metrics
from oversight.observability.logging import configure_logging
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY

OFFICE = ("10.20.0.5", 50000)
ADMIN_PATHS = [
    "/api/v1/users",
    "/api/v1/users/1",
    "/api/v1/users/1/history",
    "/api/v1/audit",
    "/api/v1/audit/export",
    "/api/v1/admin/keys",
]


@pytest.fixture
def office_only(app, settings, engine):
    configured = edge_settings(
        settings,
        api={"admin_allow": ["10.20.0.0/16"], "trusted_proxies": ["10.0.0.0/24"]},
        observability=ObservabilitySettings(metrics_allow=("10.20.0.0/16",)),
    )
    return make_edge_app(app, configured, engine)


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_admin_paths_refuse_addresses_outside_the_allowlist(office_only, session, auth, path):
    admin = make_user(session, Role.admin)
    with client_from(office_only, OUTSIDE) as outside, client_from(office_only, OFFICE) as inside:
        refused = outside.get(path, headers=auth(admin))
        admitted = inside.get(path, headers=auth(admin))
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    assert admitted.status_code != 403


def test_refused_before_authentication(office_only):
    with client_from(office_only, OUTSIDE) as client:
        assert client.get("/api/v1/users").status_code == 403


def test_own_profile_is_not_an_admin_path(office_only, session, auth):
    engineer = make_user(session, Role.engineer)
    with client_from(office_only, OUTSIDE) as client:
        assert client.get("/api/v1/users/me", headers=auth(engineer)).status_code == 200


def test_refusal_is_logged_and_counted(office_only, capsys):
    configure_logging(ObservabilitySettings(log_format="json"), force=True)
    capsys.readouterr()
    before = metrics.sample_value("http_network_denied_total", {"zone": "admin"})
    with client_from(office_only, OUTSIDE) as client:
        client.get("/api/v1/audit")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    (line,) = [line for line in lines if line.get("action") == "network_denied"]
    assert (line["zone"], line["client_ip"], line["path"]) == ("admin", OUTSIDE[0], "/api/v1/audit")
    assert metrics.sample_value("http_network_denied_total", {"zone": "admin"}) == before + 1


def test_without_an_allowlist_admin_paths_answer_anywhere(client, session, auth):
    admin = make_user(session, Role.admin)
    assert client.get("/api/v1/users", headers=auth(admin)).status_code == 200


def test_metrics_follow_the_resolved_client_address(office_only):
    with client_from(office_only, OFFICE) as inside, client_from(office_only, OUTSIDE) as outside:
        assert inside.get("/metrics").status_code == 200
        assert outside.get("/metrics").status_code == 403
        assert outside.get("/metrics", headers={"X-Forwarded-For": OFFICE[0]}).status_code == 403
    with client_from(office_only, PROXY) as proxy:
        assert proxy.get("/metrics", headers={"X-Forwarded-For": OFFICE[0]}).status_code == 200
        forged = proxy.get("/metrics", headers={"X-Forwarded-For": f"{OFFICE[0]}, 203.0.113.9"})
        assert forged.status_code == 403
