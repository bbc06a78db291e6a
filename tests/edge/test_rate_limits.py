"""Rate limits per address, per user and per login account, on memory and on a real Redis."""

from __future__ import annotations

import pytest
import redis

import servers
from builders import PASSWORD, make_user
from edge import OUTSIDE, client_from, edge_settings, make_edge_app
from engines import EMBEDDED_ONLY
from oversight.observability import metrics
from oversight.vocabulary import Role

pytestmark = EMBEDDED_ONLY

OTHER = ("198.51.100.30", 50000)


@pytest.fixture(scope="module")
def redis_server():
    with servers.redis_server() as server:
        yield server


@pytest.fixture(params=["memory", "redis"])
def storage(request) -> str | None:
    """None: in-process memory; else the URL of a real, emptied Redis."""
    if request.param == "memory":
        return None
    server = request.getfixturevalue("redis_server")
    redis.Redis.from_url(server.url).flushdb()
    return server.url


@pytest.fixture
def limited(app, settings, engine, storage):
    """`limited(rules)`: an app whose rate-limit table has `rules` merged in."""

    def make(rules: dict[str, dict[str, object]]):
        configured = edge_settings(settings, ratelimit={"redis_url": storage, "rules": rules})
        return make_edge_app(app, configured, engine)

    return make


def test_past_the_per_address_limit_the_answer_is_429_with_retry_after(limited):
    app = limited({"default": {"per_ip": "3/minute"}})
    with client_from(app) as client:
        responses = [client.get("/api/v1/nowhere") for _ in range(4)]
    assert [r.status_code for r in responses] == [404, 404, 404, 429]
    refused = responses[-1]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["error"]["code"] == "too_many_requests"
    assert refused.headers["x-content-type-options"] == "nosniff"


def test_another_address_keeps_its_own_count(limited):
    app = limited({"default": {"per_ip": "2/minute"}})
    with client_from(app, OUTSIDE) as first, client_from(app, OTHER) as second:
        assert [first.get("/x").status_code for _ in range(3)] == [404, 404, 429]
        assert second.get("/x").status_code == 404


def test_per_user_limit_counts_the_user_across_addresses(limited, session, auth):
    user = make_user(session, Role.engineer)
    app = limited({"default": {"per_ip": None, "per_user": "3/minute"}})
    with client_from(app, OUTSIDE) as first, client_from(app, OTHER) as second:
        statuses = [
            client.get("/api/v1/users/me", headers=auth(user)).status_code
            for client in (first, second, first, second)
        ]
        other_user = make_user(session, Role.engineer)
        assert second.get("/api/v1/users/me", headers=auth(other_user)).status_code == 200
    assert statuses == [200, 200, 200, 429]


def test_login_is_limited_per_account_across_addresses(limited, session):
    user = make_user(session, Role.engineer)
    app = limited({"login": {"per_ip": None, "per_user": "2/minute"}})
    body = {"username": user.username, "password": "wrong-guess"}
    with client_from(app, OUTSIDE) as first, client_from(app, OTHER) as second:
        assert first.post("/api/v1/auth/login", json=body).status_code == 401
        assert second.post("/api/v1/auth/login", json=body).status_code == 401
        shouted = {**body, "username": user.username.upper()}
        assert first.post("/api/v1/auth/login", json=shouted).status_code == 429
        # Even the right password waits: the account's budget is spent.
        right = {"username": user.username, "password": PASSWORD}
        assert second.post("/api/v1/auth/login", json=right).status_code == 429
        other = {"username": "someone.else", "password": "wrong-guess"}
        assert first.post("/api/v1/auth/login", json=other).status_code == 401


def test_two_factor_verify_is_limited_per_user_across_addresses(limited, session):
    admin = make_user(session, Role.admin)  # a 2FA role: login yields a pending token only
    app = limited({"two_factor": {"per_ip": None, "per_user": "2/minute"}})
    with client_from(app, OUTSIDE) as first, client_from(app, OTHER) as second:
        login = {"username": admin.username, "password": PASSWORD}
        pending = first.post("/api/v1/auth/login", json=login).json()["pending_token"]
        headers = {"Authorization": f"Bearer {pending}"}
        statuses = [
            client.post("/api/v1/auth/2fa/verify", json={"code": "000000"}, headers=headers)
            for client in (first, second, first)
        ]
    assert 429 not in [s.status_code for s in statuses[:2]]
    assert statuses[2].status_code == 429


def test_login_per_address_limit(limited, session):
    user = make_user(session, Role.engineer)
    app = limited({"login": {"per_ip": "2/minute", "per_user": None}})
    with client_from(app) as client:
        statuses = [
            client.post(
                "/api/v1/auth/login", json={"username": f"{user.username}{n}", "password": "x"}
            ).status_code
            for n in range(3)
        ]
    assert statuses == [401, 401, 429]


@pytest.mark.parametrize(
    ("rule", "path"),
    [
        ("analytics", "/api/v1/analytics/open-requests"),
        ("exports", "/api/v1/audit/export"),
        ("refresh", "/api/v1/auth/refresh"),
        ("two_factor", "/api/v1/auth/2fa/verify"),
        # A path no route serves yet (shaped like the record exports, /requests/export.csv):
        # the rule attaches by path, before the route exists.
        ("exports", "/api/v1/work-logs/export.csv"),
        ("password", "/api/v1/auth/password"),
    ],
)
def test_each_rule_attaches_to_its_paths(limited, session, auth, rule, path):
    admin = make_user(session, Role.admin)
    app = limited({rule: {"per_ip": "1/minute"}, "default": {"per_ip": "100/minute"}})
    with client_from(app) as client:
        first = client.get(path, headers=auth(admin))
        second = client.get(path, headers=auth(admin))
        elsewhere = client.get("/api/v1/users/me", headers=auth(admin))
    assert first.status_code != 429
    assert second.status_code == 429
    assert elsewhere.status_code == 200


def test_probes_are_never_limited(limited):
    app = limited({"default": {"per_ip": "1/minute"}})
    with client_from(app) as client:
        assert {client.get("/health").status_code for _ in range(5)} == {200}


def test_refusals_are_logged_and_counted(limited, json_logs):
    app = limited({"default": {"per_ip": "1/minute"}})
    before = metrics.sample_value("http_rate_limited_total", {"rule": "default", "per": "ip"})
    with client_from(app) as client:
        client.get("/x")
        client.get("/x")
    after = metrics.sample_value("http_rate_limited_total", {"rule": "default", "per": "ip"})
    assert after == before + 1
    lines = json_logs()
    (line,) = [line for line in lines if line.get("action") == "rate_limited"]
    assert (line["rule"], line["per"], line["client_ip"]) == ("default", "ip", OUTSIDE[0])
    access = [line for line in lines if line.get("action") == "http_request"]
    assert [line["status"] for line in access] == [404, 429]


def test_the_default_table_limits_every_route(settings):
    rules = settings.ratelimit.rules
    assert rules["default"].paths == ("*",)
    for name in ("login", "two_factor", "refresh", "password", "exports", "analytics", "default"):
        assert rules[name].per_ip, name
        assert rules[name].per_user, name
        assert rules[name].fail_closed is (name in {"login", "two_factor", "refresh", "password"})
