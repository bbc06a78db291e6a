"""A customer company with its people and one record of every scoped kind, for attack tests."""

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
from oversight.service_requests.models import RequestStatus
from oversight.vocabulary import Role


@dataclass
class Company:
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
        return {
            Role.project_manager: self.manager,
            Role.engineer: self.engineer,
            Role.client: self.contact,
        }[role]


def make_company(session: Session, **customer_fields: Any) -> Company:
    customer = make_customer(session, **customer_fields)
    manager = make_user(session, Role.project_manager)
    engineer = make_user(session, Role.engineer)
    project = make_project(session, customer_id=customer.id, manager_id=manager.id)
    request = make_request(
        session, project_id=project.id, status=RequestStatus.in_progress,
        assigned_engineer_id=engineer.id,
    )  # fmt: skip
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
        invoice=make_invoice(session, project_id=project.id, status=InvoiceStatus.issued),
    )
