"""Role escalation via mass assignment: a field the body schema does not declare — a role, a
customer, an id, a status, a password hash — is refused with a 422 naming it, in every create
and update body of the API, and nothing changes."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import func, select

from builders import make_user
from companies import make_company
from operations import API, body_schema, operations, url_for, valid_bodies
from oversight.audit.models import AuditEvent
from oversight.auth.models import User
from oversight.auth.scope import PRINCIPAL_KEY
from oversight.vocabulary import Role

# Hundreds of bodies go to the auth endpoints here; rate limits would answer 429 instead.
pytestmark = pytest.mark.no_rate_limits

_unique = itertools.count(1)
SMUGGLED = {
    "id": 1,
    "role": "admin",
    "customer_id": 1,
    "is_active": True,
    "password_hash": "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    "status": "closed",
    "number": "SR-000001",
    "code": "PRJ-00001",
    "created_at": "2020-01-01T00:00:00Z",
    "created_by_id": 1,
    "assigned_engineer_id": 1,
    "revision_count": 0,
    "manager_id": 1,
    "engineer_id": 1,
    "decided_by_id": 1,
    "paid_on": "2026-01-01",
}


def _audit_rows(session) -> int:
    session.info.pop(PRINCIPAL_KEY, None)
    return session.scalar(select(func.count()).select_from(AuditEvent))


def test_undeclared_fields_are_refused_everywhere_and_change_nothing(client, session, auth, app):
    openapi = app.openapi()
    company = make_company(session)
    admin = make_user(session, Role.admin)
    bodies = valid_bodies(company, next(_unique))
    attempts = 0
    before = _audit_rows(session)
    attacked = set()
    for method, path, operation in operations(openapi):
        schema = body_schema(openapi, operation)
        if schema is None:
            continue
        attacked.add((method, path.removeprefix(API)))
        declared = set(schema.get("properties", {}))
        base = bodies[(method, path.removeprefix(API))]
        for field, value in SMUGGLED.items():
            if field in declared:
                continue
            attempts += 1
            response = client.request(
                method,
                url_for(path.removeprefix(API), company),
                json={**base, field: value},
                headers=auth(admin),
            )
            assert response.status_code == 422, (method, path, field, response.text)
            fields = [d["field"] for d in response.json()["error"]["details"]]
            assert f"body.{field}" in fields, (method, path, field, fields)
    assert attacked == set(bodies)  # every body-taking operation, and no stale entry
    assert attempts > 250
    assert _audit_rows(session) == before  # not one write, not one event


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("field", ["role", "customer_id", "is_active", "password_hash", "id"])
def test_nobody_promotes_themselves_through_their_profile(client, session, auth, role, field):
    user = make_user(session, role)
    before = (user.role, user.customer_id, user.is_active, user.password_hash, user.id)
    response = client.patch(
        "/api/v1/users/me",
        json={"full_name": "Still Me", field: SMUGGLED[field]},
        headers=auth(user),
    )
    assert response.status_code == 422
    session.info.pop(PRINCIPAL_KEY, None)
    again = session.get(User, user.id)
    assert (again.role, again.customer_id, again.is_active, again.password_hash, again.id) == (
        before
    )
    assert again.full_name != "Still Me"


def test_an_engineer_cannot_log_hours_in_another_engineers_name(client, session, auth):
    company = make_company(session)
    colleague = make_user(session, Role.engineer)
    response = client.post(
        "/api/v1/work-logs",
        json={
            "request_id": company.request.id,
            "work_date": "2026-03-03",
            "hours": "1.00",
            "engineer_id": colleague.id,
        },
        headers=auth(company.engineer),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"field": "engineer_id"}


@pytest.mark.parametrize("role", [r for r in Role if r is not Role.admin], ids=str)
def test_only_an_administrator_changes_a_role(client, session, auth, role):
    caller = make_user(session, role)
    response = client.patch(
        f"/api/v1/users/{caller.id}", json={"role": "admin"}, headers=auth(caller)
    )
    assert response.status_code == 403
    session.info.pop(PRINCIPAL_KEY, None)
    assert session.get(User, caller.id).role is role
