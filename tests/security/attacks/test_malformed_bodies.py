"""Oversized and malformed bodies on every body-taking operation: a 4xx in the one error shape
whose message or details name the problem — never a 5xx, never a write."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from builders import make_user
from companies import make_company
from operations import API, body_schema, operations, url_for
from oversight.audit.models import AuditEvent
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.vocabulary import Role

# Hundreds of bodies go to the auth endpoints here; rate limits would answer 429 instead.
pytestmark = pytest.mark.no_rate_limits

JSON = {"content-type": "application/json"}
# name: (raw body, content type, expected status, words the answer must contain)
MALFORMED = {
    "truncated-json": (b'{"name": "x"', JSON, 400, "malformed JSON body"),
    "not-utf8": ('{"name": "\xe9"}'.encode("latin-1"), JSON, 400, "parsing the body"),
    "array": (b"[]", JSON, 422, "dictionary or object"),
    "string": (b'"x"', JSON, 422, "dictionary or object"),
    "null": (b"null", JSON, 422, "dictionary or object"),
    "deep-nesting": (b"[" * 100_000 + b"]" * 100_000, JSON, 400, "parsing the body"),
    "deep-object": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, JSON, 400, "parsing the body"),
    "huge-integer": (b'{"x": ' + b"9" * 5_000 + b"}", JSON, 400, "parsing the body"),
    "text-plain": (b'{"name": "x"}', {"content-type": "text/plain"}, 415, "application/json"),
    "form": (b"name=x", {"content-type": "application/x-www-form-urlencoded"}, 415, "json"),
    "no-content-type": (b'{"name": "x"}', {}, 415, "application/json"),
}


def _audit_rows(session) -> int:
    session.info.pop(PRINCIPAL_KEY, None)
    return session.scalar(select(func.count()).select_from(AuditEvent))


def _body_operations(app):
    openapi = app.openapi()
    return [
        (method, path.removeprefix(API), body_schema(openapi, operation), operation)
        for method, path, operation in operations(openapi)
        if body_schema(openapi, operation) is not None
    ]


@pytest.mark.parametrize("attack", list(MALFORMED))
def test_malformed_bodies_are_refused_by_name(client, session, auth, app, attack):
    content, headers, status, words = MALFORMED[attack]
    company = make_company(session)
    admin_headers = auth(make_user(session, Role.admin))
    before = _audit_rows(session)
    for method, path, _, operation in _body_operations(app):
        if attack == "null" and not operation["requestBody"].get("required"):
            continue  # JSON null is "no body", which an optional body may be
        response = client.request(
            method, url_for(path, company), content=content, headers={**admin_headers, **headers}
        )
        where = (method, path)
        assert response.status_code == status, (where, response.text)
        error = response.json()["error"]
        assert words.lower() in (error["message"] + str(error["details"])).lower(), where
    assert _audit_rows(session) == before


def _typed_fields(schema):
    """Each property's JSON type (first non-null option)."""
    for name, spec in schema.get("properties", {}).items():
        options = spec.get("anyOf", [spec])
        kinds = [o.get("type") for o in options if o.get("type") not in (None, "null")]
        yield name, (kinds[0] if kinds else "string")


# (raw JSON value, applies to fields of these JSON types)
WRONG_VALUES = [
    (b"NaN", {"number", "integer", "string"}),
    (b"Infinity", {"number", "integer", "string"}),
    (b"-Infinity", {"number", "integer", "string"}),
    (b"1e400", {"number", "integer", "string"}),
    (b"123456789012345678901234567890", {"integer", "number", "string"}),
    (b"true", {"integer", "number", "string"}),
    (b'{"nested": {"deeper": [1, 2, 3]}}', {"integer", "number", "string", "boolean"}),
    (b"[1, 2]", {"integer", "number", "string", "boolean"}),
    (b'"' + b"x" * 100_000 + b'"', {"integer", "number", "string"}),
]


def test_wrong_types_and_extreme_numbers_in_every_field_are_422_naming_the_field(
    client, session, auth, app
):
    company = make_company(session)
    admin_headers = {**auth(make_user(session, Role.admin)), **JSON}
    before = _audit_rows(session)
    tried = 0
    for method, path, schema, _ in _body_operations(app):
        for field, kind in _typed_fields(schema):
            for raw, kinds in WRONG_VALUES:
                if kind not in kinds:
                    continue
                tried += 1
                body = b'{"' + field.encode() + b'": ' + raw + b"}"
                response = client.request(
                    method, url_for(path, company), content=body, headers=admin_headers
                )
                where = (method, path, field, raw[:20])
                if response.status_code == 400:  # the parser itself refused the number
                    assert "parsing the body" in response.json()["error"]["message"], where
                    continue
                assert response.status_code == 422, (where, response.text)
                fields = [d["field"] for d in response.json()["error"]["details"]]
                assert f"body.{field}" in fields, (where, fields)
    assert tried > 300
    assert _audit_rows(session) == before


def test_ids_beyond_the_database_range_are_422_in_every_path(client, session, auth, app):
    """A path id past PostgreSQL's integer range must be refused by name, not reach a query
    (the database would raise, a 500)."""
    admin_headers = auth(make_user(session, Role.admin))
    checked = 0
    for method, path, operation in operations(app.openapi()):
        ids = [
            p["name"] for p in operation.get("parameters", [])
            if p["in"] == "path" and p["name"].endswith("_id")
        ]  # fmt: skip
        for name in ids:
            url = path
            for other in ids:
                url = url.replace(f"{{{other}}}", "2147483648" if other == name else "1")
            url = url.replace("{entity}", "customers")
            response = client.request(method, url, headers=admin_headers)
            assert response.status_code == 422, (method, path, response.text)
            fields = [d["field"] for d in response.json()["error"]["details"]]
            assert f"path.{name}" in fields, (method, path, fields)
            checked += 1
    assert checked > 20
