"""Extremes of every type to every route (issue 12, findings 3 and 15).

`GET /analytics/summary?start=9999-12-31` answered 500 without a token (an OverflowError in
the period's arithmetic ran before authentication), `start=0001-01-01` with one, and
`?end=0` was read as a Unix timestamp. Now every date, timestamp and number a route takes is
bounded so that its arithmetic cannot overflow, dates and timestamps are ISO 8601 strings
only, and authentication comes before any parameter work.

The walk derives its targets from the OpenAPI document: every query, path and body field of
a date, date-time, integer or number type, on every operation, gets the extremes of its type
(and the boundary values the API accepts) — as an anonymous caller (401 on every protected
route, whatever the query) and as each role (never a 5xx).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from builders import make_user
from companies import make_company
from operations import API, body_schema, operations, valid_bodies
from oversight.auth.public import is_public
from oversight.vocabulary import Role

pytestmark = pytest.mark.no_rate_limits

EXTREMES: dict[str, list[Any]] = {
    "date": ["0001-01-01", "9999-12-31", "2999-12-31", "1900-01-01", "0"],
    "date-time": [
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:59:59-23:59",
        "2999-12-31T23:59:59-23:59",
        "1900-01-01T00:00:00+23:59",
        "0",
    ],
    "integer": [-(2**63) - 1, 2**63, 2**31, 0, 10**40],
    "number": ["-1e309", "1e309", "9" * 40, "NaN", 1e308],
}
ROUNDS = 5  # each operation gets every round's values at once: one request per round
# Record ids (the bulk of the integers) already get out-of-range values on every path of the
# API (tests/auth/test_permission_matrix.py); here the administrator gets them, every role
# the rest.
_ID_MAXIMUM = 2**31 - 1
_unique = itertools.count(1)


def _kind(schema: dict[str, Any]) -> str | None:
    options = schema.get("anyOf", [schema])
    kinds = {(option.get("type"), option.get("format")) for option in options}
    if ("string", "date") in kinds:
        return "date"
    if ("string", "date-time") in kinds:
        return "date-time"
    if any(kind == "integer" for kind, _ in kinds):
        return "integer"
    if any(kind == "number" for kind, _ in kinds):
        return "number"
    return None


def _is_record_id(schema: dict[str, Any]) -> bool:
    options = schema.get("anyOf", [schema])
    return any(option.get("maximum") == _ID_MAXIMUM for option in options)


def slots(openapi: dict[str, Any]) -> list[tuple[str, str, str, str, str, bool]]:
    """(method, path, where, name, kind, is a record id) for every typed input of the API."""
    found = []
    for method, path, operation in operations(openapi):
        for parameter in operation.get("parameters", []):
            if parameter.get("deprecated"):
                # A former name (`start` beside `from`) takes the same type through the same
                # validator; sent together with its successor it would only get "send one".
                continue
            kind = _kind(parameter["schema"])
            if kind is not None:
                found.append(
                    (method, path, parameter["in"], parameter["name"], kind,
                     _is_record_id(parameter["schema"]))
                )  # fmt: skip
        body = body_schema(openapi, operation) or {}
        for name, schema in body.get("properties", {}).items():
            kind = _kind(schema["items"] if schema.get("type") == "array" else schema)
            if kind is not None:
                found.append((method, path, "body", name, kind, _is_record_id(schema)))
    return found


def _url(template: str, company, override: dict[str, object]) -> str:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "user_id": company.engineer.id, "customer_id": company.customer.id,
        "project_id": company.project.id, "cost_id": company.cost.id,
        "request_id": company.request.id, "work_log_id": company.work_log.id,
        "invoice_id": company.draft.id, "entity": "requests", "entity_id": company.request.id,
        "name": "open-requests",
    }  # fmt: skip
    return API + template.format(**(values | override))


def _request(client, company, bodies, method, path, targets, index, headers):  # type: ignore[no-untyped-def]
    """`method path` with each typed input in `targets` set to round `index`'s extreme."""
    template = path.removeprefix(API)
    in_path = {name: EXTREMES[kind][index] for where, name, kind in targets if where == "path"}
    params = {name: str(EXTREMES[kind][index]) for where, name, kind in targets if where == "query"}
    body = bodies.get((method, template))
    if body is not None:
        body = dict(body)
        for where, name, kind in targets:
            if where == "body":
                value = EXTREMES[kind][index]
                body[name] = [value] if name == "request_ids" else value
    url = _url(template, company, in_path)
    return client.request(method, url, params=params or None, json=body, headers=headers)


def targets_by_operation(
    openapi: dict[str, Any], *, with_record_ids: bool
) -> dict[tuple[str, str], list[tuple[str, str, str]]]:
    grouped: dict[tuple[str, str], list[tuple[str, str, str]]] = {}
    for method, path, where, name, kind, record_id in slots(openapi):
        if with_record_ids or not record_id:
            grouped.setdefault((method, path), []).append((where, name, kind))
    return grouped


@pytest.fixture
def world(session, auth):  # type: ignore[no-untyped-def]
    company = make_company(session)
    callers = {"anonymous": {}}
    for role in Role:
        if role in (Role.project_manager, Role.engineer, Role.client):
            user = company.person(role)
        else:
            user = make_user(session, role)
        callers[role.value] = auth(user)
    return company, callers, valid_bodies(company, next(_unique))


def test_an_anonymous_caller_gets_401_whatever_the_parameters_say(client, app, world):
    company, _, bodies = world
    grouped = targets_by_operation(app.openapi(), with_record_ids=True)
    for (method, path), targets in grouped.items():
        for index in range(ROUNDS):
            response = _request(client, company, bodies, method, path, targets, index, {})
            assert response.status_code < 500, (method, path, index, response.text)
            if not is_public(method, path):
                assert response.status_code == 401, (method, path, index, response.text)
    assert len(grouped) > 40


# Every kind of caller, once: the administrator (every route, record ids too), the accountant
# (the finance writes), and the three scoped roles (each with its row-scope criteria). The
# director and the viewer read what the administrator reads, through the same code, on fewer
# routes.
SWEPT_ROLES = [Role.admin, Role.accountant, Role.project_manager, Role.engineer, Role.client]


@pytest.mark.parametrize("role", [role.value for role in SWEPT_ROLES])
def test_no_role_gets_a_server_error_from_the_extremes_of_any_type(client, app, world, role):
    company, callers, bodies = world
    grouped = targets_by_operation(app.openapi(), with_record_ids=role == Role.admin)
    failures = []
    for (method, path), targets in grouped.items():
        for index in range(ROUNDS):
            response = _request(
                client, company, bodies, method, path, targets, index, callers[role]
            )
            if response.status_code >= 500:
                failures.append((method, path, index, response.status_code))
    assert not failures, failures


@pytest.mark.parametrize(
    ("value", "message"),
    [("0", "ISO 8601 date"), ("1700000000", "ISO 8601 date"), ("9999-12-31", "between")],
)
def test_dates_are_iso_8601_strings_within_range(client, world, value, message):
    _, callers, _ = world
    response = client.get(
        f"{API}/analytics/summary", params={"end": value}, headers=callers["director"]
    )
    assert response.status_code == 422, response.text
    assert message in response.text
