"""A small company for the bot tests: two customers with one overdue invoice each, a project
manager per project, an engineer with hours logged in March 2026, one request past due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from builders import (
    make_customer,
    make_invoice,
    make_project,
    make_request,
    make_user,
    make_work_log,
)
from oversight.auth.models import User
from oversight.invoices.models import InvoiceStatus
from oversight.vocabulary import Role


@dataclass
class Company:
    pm_acme: User
    pm_globex: User
    engineer: User
    acme_code: str
    globex_code: str
    acme_project_id: int


def build_company(session: Session) -> Company:
    acme, globex = make_customer(session, name="ACME"), make_customer(session, name="Globex")
    pm_acme, pm_globex = (
        make_user(session, Role.project_manager),
        make_user(session, Role.project_manager),
    )
    engineer = make_user(session, Role.engineer, full_name="Ivan Petrov")
    p_acme = make_project(session, customer_id=acme.id, manager_id=pm_acme.id, code="P-ACME")
    p_globex = make_project(
        session, customer_id=globex.id, manager_id=pm_globex.id, code="P-GLOBEX"
    )
    for project, amount, issued in (
        (p_acme, "12400.50", date(2026, 1, 10)),
        (p_globex, "7000.00", date(2026, 1, 15)),
    ):
        make_invoice(session, project_id=project.id, status=InvoiceStatus.issued,
                     amount=Decimal(amount), issued_on=issued,
                     due_on=date(issued.year, issued.month + 1, issued.day))  # fmt: skip
    request = make_request(
        session,
        project_id=p_acme.id,
        assigned_engineer_id=engineer.id,
        created_at=datetime(2026, 3, 2, 7, 0, tzinfo=UTC),
    )
    make_work_log(session, request_id=request.id, engineer_id=engineer.id,
                  work_date=date(2026, 3, 3), hours=Decimal("6.00"))  # fmt: skip
    return Company(pm_acme, pm_globex, engineer, "P-ACME", "P-GLOBEX", p_acme.id)
