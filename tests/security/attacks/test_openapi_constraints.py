"""The OpenAPI document states every constraint the server enforces, in standard JSON Schema
keywords (issue 12, finding 12): the 112 record-id parameters were published with pydantic's
own `ge`/`le`, which generated clients ignore, so they sent ids the server refuses."""

from __future__ import annotations

from typing import Any

import pytest

from builders import make_user
from operations import operations
from oversight.kit.ids import MAX_RECORD_ID
from oversight.vocabulary import Role

pytestmark = pytest.mark.no_rate_limits

# JSON Schema 2020-12 (validation, applicators, format, metadata) and the OpenAPI 3.1 extras.
STANDARD = {
    "type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
    "uniqueItems", "maxContains", "minContains", "maxProperties", "minProperties", "required",
    "dependentRequired", "format", "anyOf", "allOf", "oneOf", "not", "items", "prefixItems",
    "properties", "additionalProperties", "patternProperties", "propertyNames", "$ref",
    "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly",
    "contentMediaType", "contentEncoding", "discriminator", "nullable", "example",
}  # fmt: skip


def _keywords(schema: Any, where: str) -> list[tuple[str, str]]:
    """(where, keyword) for every keyword of `schema` and its subschemas outside STANDARD."""
    found = []
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key not in STANDARD:
                found.append((where, key))
            if key in {"properties", "patternProperties"}:
                for name, sub in value.items():
                    found += _keywords(sub, f"{where}.{name}")
            elif key in {"anyOf", "allOf", "oneOf", "prefixItems"}:
                for sub in value:
                    found += _keywords(sub, where)
            elif key in {"items", "not", "additionalProperties"}:
                found += _keywords(value, where)
    return found


def test_every_schema_of_the_document_uses_standard_keywords_only(app):
    openapi = app.openapi()
    odd = []
    for method, path, operation in operations(openapi):
        for parameter in operation.get("parameters", []):
            odd += _keywords(parameter["schema"], f"{method} {path} {parameter['name']}")
    for name, schema in openapi["components"]["schemas"].items():
        odd += _keywords(schema, name)
    assert not odd, odd


def test_every_record_id_parameter_publishes_its_range(app):
    ids = 0
    for method, path, operation in operations(app.openapi()):
        for parameter in operation.get("parameters", []):
            options = parameter["schema"].get("anyOf", [parameter["schema"]])
            integers = [option for option in options if option.get("type") == "integer"]
            if parameter["name"].endswith("_id") and integers:
                ids += 1
                [schema] = integers
                assert (schema.get("minimum"), schema.get("maximum")) == (1, MAX_RECORD_ID), (
                    method, path, parameter["name"], schema,
                )  # fmt: skip
    assert ids > 90


def test_the_published_integer_bounds_are_the_enforced_ones(app, client, session, auth):
    """One past each published bound of every integer query parameter is refused (422)."""
    headers = auth(make_user(session, Role.admin))
    checked = 0
    for method, path, operation in operations(app.openapi()):
        if method != "GET" or "{" in path:
            continue
        for parameter in operation.get("parameters", []):
            options = parameter["schema"].get("anyOf", [parameter["schema"]])
            for option in options:
                if option.get("type") != "integer":
                    continue
                for bound, step in (("minimum", -1), ("maximum", 1)):
                    if bound in option:
                        value = option[bound] + step
                        response = client.get(
                            path, params={parameter["name"]: value}, headers=headers
                        )
                        checked += 1
                        assert response.status_code == 422, (path, parameter["name"], value)
    assert checked > 30
