"""Security headers on every response, HSTS only over HTTPS, the docs page's policy, CORS, and
the docs switched off in production."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from builders import make_user
from edge import PROXY, client_from, edge_settings, make_edge_app
from engines import EMBEDDED_ONLY
from oversight.config import Environment
from oversight.edge.headers import STRICT_CSP
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY

COMMON = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


def assert_secured(response) -> None:
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, (response.status_code, name)
    assert response.headers.get("content-security-policy") == STRICT_CSP, response.status_code


@pytest.fixture
def crashing_app(app):
    @app.get("/boom")
    def explode() -> None:
        raise RuntimeError("boom")

    return app


def test_every_kind_of_response_carries_the_headers(crashing_app, session, auth, client):
    engineer = make_user(session, Role.engineer)
    responses = [
        client.get("/health"),
        client.get("/api/v1/users/me", headers=auth(engineer)),  # 200
        client.get("/api/v1/requests"),  # 401
        client.get("/api/v1/users", headers=auth(engineer)),  # 403
        client.get("/api/v1/customers/999999", headers=auth(engineer)),  # 404
        client.get("/no/such/path"),  # 404 before routing
        client.delete("/health"),  # 405
        client.post("/api/v1/auth/login", json={"username": 1}),  # 422
        client.get("/boom"),  # 500
        client.post("/api/v1/auth/login", content=b"{" * (2 * 1024 * 1024)),  # 413
    ]
    assert [r.status_code for r in responses] == [200, 200, 401, 403, 404, 404, 405, 422, 500, 413]
    for response in responses:
        assert_secured(response)


def test_no_hsts_over_plain_http(client):
    assert "strict-transport-security" not in client.get("/health").headers


def test_hsts_over_https(app):
    with client_from(app, base_url="https://testserver") as client:
        response = client.get("/health")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_hsts_when_the_trusted_proxy_says_https(app, settings, engine):
    configured = edge_settings(settings, api={"trusted_proxies": ["10.0.0.0/24"]})
    with client_from(make_edge_app(app, configured, engine), PROXY) as client:
        response = client.get("/health", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" in response.headers


def test_docs_page_policy_admits_its_own_inline_script_only(client):
    response = client.get("/docs")
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    scripts = re.findall(r"<script>(.*?)</script>", response.text, re.DOTALL)
    assert scripts
    for script in scripts:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    assert "script-src 'self' 'sha256-" in policy
    assert "https://" not in policy  # nothing from another origin: no CDN
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in policy
    for name, value in COMMON.items():
        assert response.headers[name] == value
    # The schema itself is JSON like the rest of the API.
    assert client.get("/openapi.json").headers["content-security-policy"] == STRICT_CSP


def test_docs_are_off_in_production_by_default(app, settings, engine):
    production = settings.model_copy(update={"env": Environment.production})
    with client_from(make_edge_app(app, production, engine)) as client:
        assert client.get("/docs").status_code == 404
        assert client.get("/openapi.json").status_code == 404


def test_docs_can_be_switched_on_in_production(app, settings, engine):
    production = edge_settings(settings, api={"docs_enabled": True}, env=Environment.production)
    with client_from(make_edge_app(app, production, engine)) as client:
        assert client.get("/docs").status_code == 200


def test_cors_is_closed_without_configured_origins(client):
    preflight = client.options(
        "/api/v1/users/me",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    simple = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers


def test_cors_admits_configured_origins_only(app, settings, engine):
    configured = edge_settings(settings, api={"cors_origins": ["https://desk.example.com"]})
    with client_from(make_edge_app(app, configured, engine)) as client:
        allowed = client.options(
            "/api/v1/users/me",
            headers={
                "Origin": "https://desk.example.com",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "Authorization",
            },
        )
        refused = client.options(
            "/api/v1/users/me",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
        )
        simple = client.get("/health", headers={"Origin": "https://desk.example.com"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://desk.example.com"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert simple.headers["access-control-allow-origin"] == "https://desk.example.com"
    assert_secured(simple)
