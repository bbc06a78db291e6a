"""IDOR across customers: a caller of company A names company B's records everywhere an id can
be given — in the path, in a body's reference, in a list filter, in an analytics filter.

Path ids of every scoped endpoint, for every scoped role, are the out-of-scope cells of
tests/auth/test_permission_matrix.py (404 byte-identical to a missing record, audited); this
module covers the other channels. Each must behave exactly as for an id that does not exist.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from companies import make_company
from oversight.audit.models import AuditEvent
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.vocabulary import Role

MISSING = 2_000_000_000  # a valid id that no record has


@pytest.fixture
def companies(session):
    return make_company(session), make_company(session)


def _probes_of(session, entity_id: int) -> int:
    session.info.pop(PRINCIPAL_KEY, None)
    return len(
        session.scalars(
            select(AuditEvent.id).where(
                AuditEvent.action == "access.out_of_scope", AuditEvent.entity_id == str(entity_id)
            )
        ).all()
    )


def _swap(body, field, value):
    return {**body, field: value}


# (role, method, path of company A, body, the field that names company B's record)
REFERENCES = [
    (Role.client, "POST", "/requests", {"title": "Theirs"}, "project_id", "project"),
    (Role.project_manager, "POST", "/requests", {"title": "Theirs"}, "project_id", "project"),
    (Role.project_manager, "PATCH", "/requests/{request}", {}, "project_id", "project"),
    (
        Role.project_manager,
        "POST",
        "/project-costs",
        {"incurred_on": "2026-02-02", "category": "travel", "description": "x", "amount": "1.00"},
        "project_id",
        "project",
    ),
    (Role.project_manager, "PATCH", "/project-costs/{cost}", {}, "project_id", "project"),
    (Role.project_manager, "PATCH", "/invoices/{draft}", {}, "project_id", "project"),
    (
        Role.project_manager,
        "POST",
        "/invoices",
        {"amount": "10.00"},
        "customer_id",
        "customer",
    ),
    (
        Role.engineer,
        "POST",
        "/work-logs",
        {"work_date": "2026-03-03", "hours": "1.00"},
        "request_id",
        "request",
    ),
]


@pytest.mark.parametrize(
    ("role", "method", "path", "body", "field", "kind"),
    REFERENCES,
    ids=[f"{r[0]}-{r[1]} {r[2]}-{r[4]}" for r in REFERENCES],
)
def test_a_reference_to_another_customers_record_is_refused_like_a_missing_one(
    client, session, auth, companies, role, method, path, body, field, kind
):
    mine, theirs = companies
    url = "/api/v1" + path.format(request=mine.request.id, cost=mine.cost.id, draft=mine.draft.id)
    headers = auth(mine.person(role))
    target = getattr(theirs, kind).id
    hidden = client.request(method, url, json=_swap(body, field, target), headers=headers)
    missing = client.request(method, url, json=_swap(body, field, MISSING), headers=headers)
    assert hidden.status_code == missing.status_code == 422, hidden.text
    assert hidden.json()["error"]["details"] == missing.json()["error"]["details"]
    assert hidden.text.replace(str(target), "ID") == missing.text.replace(str(MISSING), "ID")
    assert _probes_of(session, target) >= 1


def test_a_client_cannot_file_a_request_for_another_customer(client, session, auth, companies):
    mine, theirs = companies
    response = client.post(
        "/api/v1/requests",
        json={"title": "On their account", "customer_id": theirs.customer.id},
        headers=auth(mine.contact),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "customer_id"}


LIST_FILTERS = [
    (Role.client, "/requests", "customer_id", "customer"),
    (Role.client, "/requests", "project_id", "project"),
    (Role.client, "/projects", "customer_id", "customer"),
    (Role.client, "/invoices", "customer_id", "customer"),
    (Role.client, "/invoices", "project_id", "project"),
    (Role.engineer, "/work-logs", "request_id", "request"),
    (Role.engineer, "/requests", "customer_id", "customer"),
    (Role.project_manager, "/project-costs", "project_id", "project"),
    (Role.project_manager, "/invoices", "customer_id", "customer"),
    (Role.project_manager, "/requests", "assigned_engineer_id", "engineer"),
]


@pytest.mark.parametrize(("role", "path", "param", "kind"), LIST_FILTERS)
def test_a_list_filtered_on_another_customers_record_is_empty(
    client, session, auth, companies, role, path, param, kind
):
    mine, theirs = companies
    response = client.get(
        f"/api/v1{path}?{param}={getattr(theirs, kind).id}", headers=auth(mine.person(role))
    )
    assert response.status_code == 200
    assert response.json()["items"] == []
    assert response.json()["total"] == 0


ANALYTICS_FILTERS = [
    (Role.client, "customer_id", "customer"),
    (Role.client, "project_id", "project"),
    (Role.project_manager, "project_id", "project"),
    (Role.project_manager, "customer_id", "customer"),
    (Role.engineer, "engineer_id", "engineer"),
]


@pytest.mark.parametrize(("role", "param", "kind"), ANALYTICS_FILTERS)
def test_analytics_filtered_on_another_customer_show_what_a_missing_one_shows(
    client, session, auth, companies, role, param, kind
):
    mine, theirs = companies
    headers = auth(mine.person(role))
    period = "start=2026-01-01&end=2026-12-31"
    url = f"/api/v1/analytics/summary?{period}&{param}="
    hidden = client.get(url + str(getattr(theirs, kind).id), headers=headers)
    missing = client.get(url + str(MISSING), headers=headers)
    assert hidden.status_code == missing.status_code == 200
    assert _without_filters(hidden.json()) == _without_filters(missing.json())


def _without_filters(summary):
    """The summary less its echo of the filters and the minute it was computed at."""
    if isinstance(summary, dict):
        return {
            key: _without_filters(value)
            for key, value in summary.items()
            if key not in {"filters", "params", "as_of"}
        }
    if isinstance(summary, list):
        return [_without_filters(value) for value in summary]
    return summary
