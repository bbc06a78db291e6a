"""The document and the behaviour agree on the smaller points (issue 12, finding 16): a
length limit counts what was sent (whitespace was stripped first, so a space and 2,048
characters passed a 2,048 limit); a field documented as nullable accepts null, and one that
may not be cleared is documented non-null; decimals sent as strings are documented with a
pattern. Walked over every body of the API where the rule is general."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from builders import make_user
from companies import make_company
from operations import API, body_schema, operations, url_for, valid_bodies
from oversight.vocabulary import Role

pytestmark = pytest.mark.no_rate_limits
_unique = itertools.count(1)


def test_a_limit_counts_the_whitespace_that_was_sent(client):
    response = client.post(f"{API}/auth/refresh", json={"refresh_token": " " + "a" * 2048})
    assert response.status_code == 422, response.text
    assert "2048" in response.text


def test_every_decimal_field_documents_its_string_form(app):
    openapi = app.openapi()
    loose = []
    for name, schema in openapi["components"]["schemas"].items():
        for field, prop in schema.get("properties", {}).items():
            options = prop.get("anyOf", [prop])
            if any(option.get("type") == "number" for option in options):
                strings = [option for option in options if option.get("type") == "string"]
                loose += [(name, field) for option in strings if "pattern" not in option]
    assert not loose, loose


def _nullable(prop: dict[str, Any]) -> bool:
    return any(option.get("type") == "null" for option in prop.get("anyOf", [prop]))


def test_a_field_documented_as_nullable_accepts_null_in_every_update(app, client, session, auth):
    openapi = app.openapi()
    company = make_company(session)
    headers = auth(make_user(session, Role.admin))
    bodies = valid_bodies(company, next(_unique))
    refused, checked = [], 0
    for method, path, operation in operations(openapi):
        schema = body_schema(openapi, operation)
        if method != "PATCH" or schema is None:
            continue
        template = path.removeprefix(API)
        for field, prop in schema.get("properties", {}).items():
            body = {**bodies[(method, template)], field: None}
            response = client.request(
                method, url_for(template, company), json=body, headers=headers
            )
            checked += 1
            said_no = response.status_code == 422 and field in response.text
            if _nullable(prop) and said_no:
                refused.append((path, field, response.text[:120]))
            if not _nullable(prop):
                assert said_no, (path, field, response.status_code, response.text[:200])
    assert not refused, refused
    assert checked > 20
