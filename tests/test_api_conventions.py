"""One name for one idea, swept over the OpenAPI document (the contract): every list answers
the one page object and takes `page`/`page_size` (the audit trail's cursor pages are the one
documented exception), every date range is `from`/`to` (former names only as `deprecated`
for one release), and every operation has a summary and a description a user can act on.

The sweeps read the document, not the database, so they run once (SQLite); the behaviour of
the ranges is tested on both engines below.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from builders import make_request, make_user, make_work_log
from oversight.kit.ranges import RANGE_PARAMETERS, DateRange
from oversight.vocabulary import Role

DOCUMENT_ONLY = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
PAGE_FIELDS = {"items", "page", "page_size", "total"}
CURSOR_LISTS = {("get", "/api/v1/audit")}  # README, "API": the one cursor-paged list
RANGE_LIKE = re.compile(r"(^|_)(from|to|start|end|since|until|before|after)$|^(date|day)_")
MOSCOW = ZoneInfo("Europe/Moscow")


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def _schema(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: dict[str, Any] = document["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return found


def _json_200(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation["responses"].get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return schema or None


def _query(operation: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}


def _is_list(document: dict[str, Any], schema: dict[str, Any]) -> bool:
    resolved = _schema(document, schema)
    return resolved.get("type") == "array" or "items" in resolved.get("properties", {})


@DOCUMENT_ONLY
def test_every_list_answers_the_page_object_with_page_and_page_size(app):
    document = app.openapi()
    lists, wrong = [], []
    for method, path, operation in _operations(document):
        schema = _json_200(operation)
        if method != "get" or schema is None or not _is_list(document, schema):
            continue
        lists.append(path)
        resolved = _schema(document, schema)
        if (method, path) in CURSOR_LISTS:
            assert set(resolved["properties"]) == {"items", "next_cursor"}
            assert {"cursor", "limit"} <= set(_query(operation))
            continue
        if set(resolved.get("properties", {})) != PAGE_FIELDS or not schema.get(
            "$ref", ""
        ).startswith("#/components/schemas/Page_"):
            wrong.append((path, "not the page object"))
        if not {"page", "page_size"} <= set(_query(operation)):
            wrong.append((path, "no page/page_size"))
    assert not wrong, wrong
    # The sweep saw the lists it is about (a broken walk would pass on nothing).
    for expected in (
        "/api/v1/requests",
        "/api/v1/invoices",
        "/api/v1/requests/{request_id}/approvals",
        "/api/v1/requests/{request_id}/attachments",
        "/api/v1/{entity}/{entity_id}/history",
        "/api/v1/audit",
    ):
        assert expected in lists


@DOCUMENT_ONLY
def test_every_date_range_is_from_and_to(app):
    document = app.openapi()
    wrong = []
    for method, path, operation in _operations(document):
        for name, parameter in _query(operation).items():
            schema = parameter.get("schema", {})
            formats = {option.get("format") for option in [schema, *schema.get("anyOf", [])]}
            dated = bool(formats & {"date", "date-time"})
            if name in RANGE_PARAMETERS:
                assert dated, (path, name)
                continue
            if parameter.get("deprecated"):
                assert "removed in the next release" in parameter["description"], (path, name)
                continue
            if dated or RANGE_LIKE.search(name):
                wrong.append((method, path, name))
    assert not wrong, wrong


@DOCUMENT_ONLY
def test_every_operation_has_a_summary_and_a_description_a_user_can_act_on(app):
    document = app.openapi()
    missing = []
    for method, path, operation in _operations(document):
        summary = (operation.get("summary") or "").strip()
        description = (operation.get("description") or "").strip()
        placeholders = {path, path.removeprefix("/api/v1"), f"{method.upper()} {path}", ""}
        if summary in placeholders or description in placeholders:
            missing.append((method, path, "missing or the path"))
        elif len(description) < 40 or description == summary:
            missing.append((method, path, "description too short to act on"))
    assert not missing, missing


def test_a_range_is_local_days_on_dates_and_instants_on_timestamps():
    days = DateRange(date(2026, 3, 5), date(2026, 3, 5))
    assert days.instants(MOSCOW) == (
        datetime(2026, 3, 4, 21, 0, tzinfo=UTC),
        datetime(2026, 3, 5, 21, 0, tzinfo=UTC),
    )
    assert days.days(MOSCOW) == (date(2026, 3, 5), date(2026, 3, 5))
    instants = DateRange(
        datetime(2026, 3, 4, 22, 0, tzinfo=UTC), datetime(2026, 3, 5, 21, 0, tzinfo=UTC)
    )
    # 01:00 on the 5th in Moscow to midnight starting the 6th (excluded): the 5th alone.
    assert instants.days(MOSCOW) == (date(2026, 3, 5), date(2026, 3, 5))
    assert DateRange().instants(MOSCOW) == (None, None)


def test_a_date_on_a_timestamp_filter_means_that_local_day(client, session, auth, settings):
    assert settings.company.timezone == "Europe/Moscow"
    admin = make_user(session, Role.admin)
    late_on_the_4th_utc = make_request(  # 00:30 on the 5th in Moscow
        session, created_at=datetime(2026, 3, 4, 21, 30, tzinfo=UTC)
    )
    late_on_the_5th_utc = make_request(  # 00:30 on the 6th in Moscow
        session, created_at=datetime(2026, 3, 5, 21, 30, tzinfo=UTC)
    )
    ids = {late_on_the_4th_utc.id, late_on_the_5th_utc.id}

    def listed(query: str) -> set[int]:
        response = client.get(f"/api/v1/requests?page_size=200&{query}", headers=auth(admin))
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]} & ids

    assert listed("from=2026-03-05&to=2026-03-05") == {late_on_the_4th_utc.id}
    assert listed("from=2026-03-05T21:00:00Z") == {late_on_the_5th_utc.id}
    assert listed("created_from=2026-03-05T21:00:00Z") == {late_on_the_5th_utc.id}  # former
    both = client.get(
        "/api/v1/requests?from=2026-03-05&created_from=2026-03-05T00:00:00Z", headers=auth(admin)
    )
    assert both.status_code == 422
    assert both.json()["error"]["details"] == {"field": "created_from"}
    reversed_range = client.get(
        "/api/v1/requests?from=2026-03-06&to=2026-03-05", headers=auth(admin)
    )
    assert reversed_range.status_code == 422
    assert reversed_range.json()["error"]["details"] == {"field": "to"}


def test_a_timestamp_on_a_date_filter_means_its_local_date(client, session, auth):
    admin = make_user(session, Role.admin)
    log = make_work_log(session, work_date=date(2026, 3, 5))
    # 21:30 UTC on the 4th is the 5th in Moscow.
    response = client.get(
        f"/api/v1/work-logs?request_id={log.request_id}&from=2026-03-04T21:30:00Z&to=2026-03-05",
        headers=auth(admin),
    )
    assert [item["id"] for item in response.json()["items"]] == [log.id]
    audit = client.get("/api/v1/audit?from=2026-03-05&to=2026-03-05", headers=auth(admin))
    assert audit.status_code == 200, audit.text
