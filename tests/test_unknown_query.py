"""Unknown query parameters are refused (422 naming them and listing the accepted ones, which
are exactly the OpenAPI document's) on every API route, instead of being ignored."""

from __future__ import annotations

from builders import make_user
from oversight.vocabulary import Role
from routes import routes_of, sample_url


def _documented_query(app, method: str, path: str) -> list[str]:
    operation = app.openapi()["paths"][path][method.lower()]
    return sorted(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")


def test_every_api_route_refuses_an_unknown_query_parameter(client, session, auth, app):
    admin = make_user(session, Role.admin)
    documented = app.openapi()["paths"]
    routes = [  # the contract's routes; Telegram's webhook (not in the document) is Telegram's
        route
        for route in routes_of(app)
        if route.path.startswith("/api/v1")
        and route.method.lower() in documented.get(route.path, {})
    ]
    assert len(routes) > 50
    for route in routes:
        response = client.request(
            route.method,
            sample_url(route.path) + "?bogus_filter=1&also_wrong=2",
            headers=auth(admin),
        )
        assert response.status_code == 422, (route.key, response.text)
        error = response.json()["error"]
        assert error["details"]["unknown"] == ["also_wrong", "bogus_filter"], route.key
        assert error["details"]["accepted"] == _documented_query(app, *route.key), route.key
        assert "unknown query parameters 'also_wrong', 'bogus_filter'" in error["message"]


def test_the_misspelt_filters_of_the_issue_are_refused(client, session, auth):
    admin = make_user(session, Role.admin)
    for url, name in (
        ("/api/v1/invoices?search=x", "search"),
        ("/api/v1/work-logs?request=1", "request"),
        ("/api/v1/analytics/summary?month=2026-03", "month"),
    ):
        response = client.get(url, headers=auth(admin))
        assert response.status_code == 422, url
        assert (
            f"unknown query parameter {name!r}; accepted: " in response.json()["error"]["message"]
        )


def test_declared_parameters_still_work(client, session, auth):
    admin = make_user(session, Role.admin)
    response = client.get(
        "/api/v1/requests?unassigned=true&page=1&page_size=5&sort=-created_at",
        headers=auth(admin),
    )
    assert response.status_code == 200, response.text
    logs = client.get("/api/v1/work-logs?request_id=1&from=2026-01-01", headers=auth(admin))
    assert logs.status_code == 200, logs.text
