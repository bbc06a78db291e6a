"""Role by endpoint by action: every cell of the permission table, through the real API.

Each case builds a small company in which the caller's row scope *does* include the target
records, so the only thing that can refuse the call is the permission table: an allowed cell
must succeed (200/201), a forbidden one must be 403.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from builders import (
    make_customer,
    make_invoice,
    make_project,
    make_project_cost,
    make_request,
    make_user,
    make_work_log,
)
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.invoices.models import InvoiceStatus
from oversight.service_requests.models import RequestStatus
from oversight.vocabulary import Role

_unique = itertools.count(1)


@dataclass
class World:
    customer: Any
    manager: Any
    engineer: Any
    contact: Any
    project: Any
    request: Any
    work_log: Any
    cost: Any
    invoice: Any

    def caller(self, session, role: Role):
        return {
            Role.project_manager: self.manager,
            Role.engineer: self.engineer,
            Role.client: self.contact,
        }.get(role) or make_user(session, role)


def build_world(session, request_status: RequestStatus, invoice_status: InvoiceStatus) -> World:
    customer = make_customer(session)
    manager = make_user(session, Role.project_manager)
    engineer = make_user(session, Role.engineer)
    contact = make_user(session, Role.client, customer_id=customer.id)
    project = make_project(session, customer_id=customer.id, manager_id=manager.id)
    request = make_request(
        session, project_id=project.id, status=request_status, assigned_engineer_id=engineer.id
    )
    return World(
        customer=customer,
        manager=manager,
        engineer=engineer,
        contact=contact,
        project=project,
        request=request,
        work_log=make_work_log(session, request_id=request.id, engineer_id=engineer.id),
        cost=make_project_cost(session, project_id=project.id),
        invoice=make_invoice(session, project_id=project.id, status=invoice_status),
    )


@dataclass(frozen=True)
class Endpoint:
    resource: Resource
    action: Action
    method: str
    path: str
    request_status: RequestStatus = RequestStatus.in_progress
    invoice_status: InvoiceStatus = InvoiceStatus.issued

    def body(self, world: World, role: Role) -> dict[str, Any] | None:
        n = next(_unique)
        bodies: dict[tuple[Resource, Action], dict[str, Any] | None] = {
            (Resource.customers, Action.create): {"name": f"Matrix Customer {n}"},
            (Resource.customers, Action.update): {"address": "1 Test Street"},
            (Resource.projects, Action.create): {
                "name": f"Matrix Project {n}",
                "customer_id": world.customer.id,
                "manager_id": world.manager.id,
                "budget": "5000.00",
                "start_date": "2026-01-01",
            },
            (Resource.projects, Action.update): {"name": "Renamed project"},
            (Resource.project_costs, Action.create): {
                "project_id": world.project.id,
                "incurred_on": "2026-02-02",
                "category": "travel",
                "description": "Fuel",
                "amount": "300.00",
            },
            (Resource.project_costs, Action.update): {"description": "Fuel and tolls"},
            (Resource.requests, Action.create): {
                "title": "Matrix request",
                "project_id": world.project.id,
            },
            (Resource.requests, Action.update): {"title": "Matrix request, renamed"},
            (Resource.requests, Action.assign): {"engineer_id": world.engineer.id},
            (Resource.requests, Action.reject): {"comment": "Not fixed"},
            (Resource.work_logs, Action.create): {
                "request_id": world.request.id,
                "work_date": "2026-03-03",
                "hours": "1.50",
                **({} if role is Role.engineer else {"engineer_id": world.engineer.id}),
            },
            (Resource.work_logs, Action.update): {"hours": "2.00"},
            (Resource.invoices, Action.create): {
                "customer_id": world.customer.id,
                "project_id": world.project.id,
                "amount": "1000.00",
            },
            (Resource.invoices, Action.update): {"description": "Corrected"},
            (Resource.users, Action.create): {
                "username": f"matrix.user{n}",
                "full_name": "Matrix User",
                "password": "a long enough password",
                "role": "viewer",
            },
            (Resource.users, Action.update): {"full_name": "Renamed User"},
        }
        return bodies.get((self.resource, self.action))

    def url(self, world: World) -> str:
        return "/api/v1" + self.path.format(
            customer=world.customer.id,
            project=world.project.id,
            cost=world.cost.id,
            request=world.request.id,
            work_log=world.work_log.id,
            invoice=world.invoice.id,
            user=world.engineer.id,
        )


R, A = Resource, Action
S, IS = RequestStatus, InvoiceStatus
ENDPOINTS = [
    Endpoint(R.customers, A.read, "GET", "/customers/{customer}"),
    Endpoint(R.customers, A.create, "POST", "/customers"),
    Endpoint(R.customers, A.update, "PATCH", "/customers/{customer}"),
    Endpoint(R.projects, A.read, "GET", "/projects/{project}"),
    Endpoint(R.projects, A.create, "POST", "/projects"),
    Endpoint(R.projects, A.update, "PATCH", "/projects/{project}"),
    Endpoint(R.project_costs, A.read, "GET", "/project-costs/{cost}"),
    Endpoint(R.project_costs, A.create, "POST", "/project-costs"),
    Endpoint(R.project_costs, A.update, "PATCH", "/project-costs/{cost}"),
    Endpoint(R.requests, A.read, "GET", "/requests/{request}"),
    Endpoint(R.requests, A.create, "POST", "/requests"),
    Endpoint(R.requests, A.update, "PATCH", "/requests/{request}"),
    Endpoint(R.requests, A.assign, "POST", "/requests/{request}/assign", S.assigned),
    Endpoint(R.requests, A.start, "POST", "/requests/{request}/start", S.assigned),
    Endpoint(R.requests, A.complete, "POST", "/requests/{request}/complete", S.in_progress),
    Endpoint(R.requests, A.approve, "POST", "/requests/{request}/approve", S.awaiting_approval),
    Endpoint(R.requests, A.reject, "POST", "/requests/{request}/reject", S.awaiting_approval),
    Endpoint(R.requests, A.close, "POST", "/requests/{request}/close", S.awaiting_approval),
    Endpoint(R.requests, A.reopen, "POST", "/requests/{request}/reopen", S.closed),
    Endpoint(R.requests, A.cancel, "POST", "/requests/{request}/cancel", S.assigned),
    Endpoint(R.work_logs, A.read, "GET", "/work-logs/{work_log}"),
    Endpoint(R.work_logs, A.create, "POST", "/work-logs"),
    Endpoint(R.work_logs, A.update, "PATCH", "/work-logs/{work_log}"),
    Endpoint(R.invoices, A.read, "GET", "/invoices/{invoice}"),
    Endpoint(R.invoices, A.create, "POST", "/invoices"),
    Endpoint(R.invoices, A.update, "PATCH", "/invoices/{invoice}", invoice_status=IS.draft),
    Endpoint(R.invoices, A.issue, "POST", "/invoices/{invoice}/issue", invoice_status=IS.draft),
    Endpoint(R.invoices, A.mark_paid, "POST", "/invoices/{invoice}/mark-paid"),
    Endpoint(R.invoices, A.cancel, "POST", "/invoices/{invoice}/cancel"),
    Endpoint(R.users, A.read, "GET", "/users/{user}"),
    Endpoint(R.users, A.create, "POST", "/users"),
    Endpoint(R.users, A.update, "PATCH", "/users/{user}"),
]
LISTS = {
    R.customers: "/customers",
    R.projects: "/projects",
    R.project_costs: "/project-costs",
    R.requests: "/requests",
    R.work_logs: "/work-logs",
    R.invoices: "/invoices",
    R.users: "/users",
}


def _id(endpoint: Endpoint) -> str:
    return f"{endpoint.resource.value}-{endpoint.action.value}"


def _client_sees_drafts(role: Role, endpoint: Endpoint) -> bool:
    # Draft invoices are outside a client's scope by design; the client matrix uses issued ones.
    return not (role is Role.client and endpoint.invoice_status is IS.draft)


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=_id)
def test_permission_table_decides_every_cell(client, session, auth, role, endpoint):
    world = build_world(session, endpoint.request_status, endpoint.invoice_status)
    caller = world.caller(session, role)
    response = client.request(
        endpoint.method, endpoint.url(world), json=endpoint.body(world, role), headers=auth(caller)
    )
    if not is_allowed(role, endpoint.resource, endpoint.action):
        assert response.status_code == 403, response.text
        assert response.json()["error"]["code"] == "permission_denied"
    elif _client_sees_drafts(role, endpoint):
        assert response.status_code in (200, 201), response.text


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("resource", list(LISTS), ids=str)
def test_listing_follows_the_read_permission(client, session, auth, role, resource):
    caller = make_user(session, role)
    response = client.get(f"/api/v1{LISTS[resource]}", headers=auth(caller))
    expected = 200 if is_allowed(role, resource, Action.read) else 403
    assert response.status_code == expected, response.text
