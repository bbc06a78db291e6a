"""The one test company: a customer with its people and one record of every scoped kind.

Used wherever a test needs "a company" (row scope, the permission matrix, attack tests):
`make_company(session)` in one line, with the request and invoice in the states a test needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from builders import (
    make_customer,
    make_invoice,
    make_project,
    make_project_cost,
    make_request,
    make_user,
    make_work_log,
)
from oversight.invoices.models import InvoiceStatus
from oversight.projects.models import ProjectStatus
from oversight.service_requests.models import RequestStatus
from oversight.vocabulary import Role


@dataclass
class Company:
    """A customer, its project manager, engineer and client contact, and their records:
    `request` (assigned to the engineer), `work_log`, `cost`, `invoice` (in the status asked
    for) and `draft` (a draft invoice)."""

    customer: Any
    manager: Any
    engineer: Any
    contact: Any
    project: Any
    request: Any
    work_log: Any
    cost: Any
    draft: Any
    invoice: Any

    def person(self, role: Role) -> Any:
        """The company's own manager, engineer or client contact."""
        return {
            Role.project_manager: self.manager,
            Role.engineer: self.engineer,
            Role.client: self.contact,
        }[role]

    def caller(self, session: Session, role: Role) -> Any:
        """Someone of `role` whose row scope includes this company: its own person for the
        scoped roles, a new user for the others (their scope is everything)."""
        if role in (Role.project_manager, Role.engineer, Role.client):
            return self.person(role)
        return make_user(session, role)

    def ids_by_path(self) -> dict[str, int]:
        """The id of each record under its API path segment (`/api/v1/<segment>/<id>`)."""
        return {
            "customers": self.customer.id,
            "projects": self.project.id,
            "requests": self.request.id,
            "work-logs": self.work_log.id,
            "project-costs": self.cost.id,
            "invoices": self.invoice.id,
        }


def make_company(
    session: Session,
    *,
    request_status: RequestStatus = RequestStatus.in_progress,
    invoice_status: InvoiceStatus = InvoiceStatus.issued,
    project_status: ProjectStatus = ProjectStatus.active,
    **customer_fields: Any,
) -> Company:
    customer = make_customer(session, **customer_fields)
    manager = make_user(session, Role.project_manager)
    engineer = make_user(session, Role.engineer)
    project = make_project(
        session, customer_id=customer.id, manager_id=manager.id, status=project_status
    )
    request = make_request(
        session, project_id=project.id, status=request_status, assigned_engineer_id=engineer.id
    )
    return Company(
        customer=customer,
        manager=manager,
        engineer=engineer,
        contact=make_user(session, Role.client, customer_id=customer.id),
        project=project,
        request=request,
        work_log=make_work_log(session, request_id=request.id, engineer_id=engineer.id),
        cost=make_project_cost(session, project_id=project.id),
        draft=make_invoice(session, project_id=project.id, status=InvoiceStatus.draft),
        invoice=make_invoice(session, project_id=project.id, status=invoice_status),
    )
