"""Injection strings in every filter and sort parameter of every list endpoint: each answer is a
4xx in the one error shape or a correctly filtered page — never a 5xx, never a row outside
the caller's scope, and text search treats `%`, `_` and quotes as the characters they are."""

from __future__ import annotations

import pytest

from builders import make_request, make_user
from companies import make_company
from operations import API, operations
from oversight.vocabulary import Role

# One of each kind: quoting, statement and UNION smuggling, LIKE wildcards and escapes, NUL,
# direction overrides, very long text, JSON operators, numbers past every integer type, NaN,
# an impossible timestamp, SQL in a sort.
PAYLOADS = [
    "' OR 1=1--",
    '" OR ""="',
    "1; DROP TABLE customers;--",
    "1) UNION SELECT username, password_hash FROM users--",
    "%",
    "_",
    "\\",
    "\x00",
    "\u202etxt.exe",
    "x" * 10_000,
    '{"$ne": null}',
    "-1",
    "99999999999999999999999",
    "NaN",
    "2026-13-45T25:61:00Z",
    "-created_at;DROP TABLE users",
]
LISTS = {
    "/users": Role.admin,
    "/customers": Role.client,
    "/projects": Role.client,
    "/project-costs": Role.project_manager,
    "/requests": Role.client,
    "/work-logs": Role.engineer,
    "/invoices": Role.client,
    "/audit": Role.admin,
    "/analytics/summary": Role.client,
}


def _query_params(openapi, path):
    (operation,) = [
        op for method, p, op in operations(openapi) if p == API + path and method == "GET"
    ]
    # Former names (`created_from` beside `from`) go through their successor's validator.
    return [
        param["name"]
        for param in operation.get("parameters", [])
        if param["in"] == "query" and not param.get("deprecated")
    ]


def _ids(body):
    return {item["id"] for item in body.get("items", [])}


@pytest.mark.parametrize("path", list(LISTS))
def test_injection_in_every_query_parameter_is_harmless(client, session, auth, app, path):
    mine = make_company(session)
    make_company(session)  # another customer's rows, which no answer may include
    role = LISTS[path]
    caller = make_user(session, role) if role is Role.admin else mine.person(role)
    headers = auth(caller)
    params = _query_params(app.openapi(), path)
    assert params, path
    # Only declared parameters: an undeclared one (page_size on the audit cursor) is a 422.
    paging = {"page_size": 200} if "page_size" in params else {}
    baseline = client.get(f"{API}{path}", params=paging, headers=headers)
    assert baseline.status_code == 200, baseline.text
    allowed = _ids(baseline.json())
    for param in params:
        for payload in PAYLOADS:
            response = client.get(
                f"{API}{path}", params={**paging, param: payload}, headers=headers
            )
            where = (path, param, payload[:40])
            assert response.status_code < 500, where
            body = response.json()
            if response.status_code >= 400:
                assert set(body) == {"error"}, where
                assert body["error"]["message"], where
            elif "items" in body and path != "/audit":
                assert _ids(body) <= allowed, where
                assert body["total"] <= baseline.json()["total"], where


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("%", {"100% _genuine_ O'Brien"}),
        ("_", {"100% _genuine_ O'Brien"}),
        ("'", {"100% _genuine_ O'Brien"}),
        ("' OR 1=1--", set()),
        ("100", {"100% _genuine_ O'Brien", "1000 genuine"}),
        ("Пожар", {"Пожарная часть"}),
    ],
)
def test_search_matches_the_characters_literally(client, session, auth, search, expected):
    made = [
        make_request(session, title=title)
        for title in ["100% _genuine_ O'Brien", "1000 genuine", "Пожарная часть"]
    ]
    # Search also matches the request number (SR-000100): which numbers these get depends on
    # how many requests the database has seen, so such a match is expected too.
    expected = expected | {r.title for r in made if search.lower() in r.number.lower()}
    admin = make_user(session, Role.admin)
    response = client.get(f"{API}/requests", params={"search": search}, headers=auth(admin))
    assert response.status_code == 200
    assert {item["title"] for item in response.json()["items"]} == expected
