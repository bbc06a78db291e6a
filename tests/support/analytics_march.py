"""A hand-built month (March 2026, company timezone Europe/Moscow = UTC+3) whose every KPI
is worked out by hand in test_kpis.py; 'now' is 2026-03-20 09:00 UTC (12:00 local)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

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
from oversight.auth.models import User
from oversight.invoices.models import InvoiceStatus
from oversight.service_requests.models import (
    ApprovalDecision,
    CompletionApproval,
    RequestStatus,
    ServiceRequest,
)
from oversight.vocabulary import Role

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@dataclass
class March:
    e1: User
    e2: User
    e3: User
    pm: User
    acme_id: int
    globex_id: int
    p1: int
    p2: int
    requests: dict[str, ServiceRequest]


def _request(session: Session, project: int, engineer: User | None, **fields: object):
    created = fields["created_at"]
    assert isinstance(created, datetime)
    values = {
        "response_due_at": created + timedelta(hours=4),
        "resolution_due_at": created + timedelta(days=3),
        "assigned_engineer_id": engineer.id if engineer else None,
    }
    return make_request(session, project_id=project, **(values | fields))


def _approve(session: Session, request: ServiceRequest, decision: str, at: datetime) -> None:
    session.add(
        CompletionApproval(
            request_id=request.id, decision=ApprovalDecision(decision), decided_at=at
        )
    )
    session.flush()


def build_march(session: Session) -> March:
    e1 = make_user(session, Role.engineer, full_name="Anna Engineer",
                   weekly_capacity_hours=Decimal(40), cost_rate=Decimal("1500.00"))  # fmt: skip
    e2 = make_user(session, Role.engineer, full_name="Boris Engineer",
                   weekly_capacity_hours=None, cost_rate=None)  # fmt: skip
    e3 = make_user(session, Role.engineer, full_name="Vera Engineer",
                   weekly_capacity_hours=Decimal(0), cost_rate=Decimal("1234.57"))  # fmt: skip
    pm = make_user(session, Role.project_manager)
    acme = make_customer(session, name="ACME")
    globex = make_customer(session, name="Globex")
    p1 = make_project(session, customer_id=acme.id, manager_id=pm.id, code="P-ONE").id
    p2 = make_project(session, customer_id=globex.id, code="P-TWO").id
    closed, open_ = RequestStatus.closed, RequestStatus.in_progress
    r: dict[str, ServiceRequest] = {}
    r["R1"] = _request(session, p1, e1, status=closed, created_at=utc(2026, 3, 2, 7),
                       first_response_at=utc(2026, 3, 2, 8),
                       closed_at=utc(2026, 3, 3, 7))  # fmt: skip
    r["R2"] = _request(session, p1, e1, status=closed, created_at=utc(2026, 3, 5),
                       resolution_due_at=utc(2026, 3, 6), first_response_at=utc(2026, 3, 5, 5),
                       closed_at=utc(2026, 3, 6), revision_count=1)  # fmt: skip
    r["R3"] = _request(session, p2, e2, status=closed, created_at=utc(2026, 2, 20),
                       first_response_at=utc(2026, 2, 20, 1), closed_at=utc(2026, 3, 10),
                       revision_count=2)  # fmt: skip
    r["R4"] = _request(session, p2, e2, status=closed, created_at=utc(2026, 2, 27),
                       first_response_at=utc(2026, 2, 27, 1),
                       closed_at=utc(2026, 2, 28, 20, 59, 59))  # fmt: skip
    r["R5"] = _request(session, p1, e1, status=closed, created_at=utc(2026, 3, 31),
                       first_response_at=utc(2026, 3, 31, 1),
                       closed_at=utc(2026, 3, 31, 21))  # fmt: skip
    r["R6"] = _request(session, p1, e1, status=open_, created_at=utc(2026, 3, 18, 9),
                       first_response_at=utc(2026, 3, 18, 10))  # fmt: skip
    r["R7"] = _request(session, p2, e2, status=RequestStatus.assigned,
                       created_at=utc(2026, 3, 10, 9))  # fmt: skip
    r["R8"] = _request(session, p2, None, status=RequestStatus.new,
                       created_at=utc(2026, 3, 19, 21),
                       resolution_due_at=utc(2026, 3, 25))  # fmt: skip
    r["R9"] = _request(session, p1, e1, status=RequestStatus.cancelled,
                       created_at=utc(2026, 3, 3), cancelled_at=utc(2026, 3, 4))  # fmt: skip
    r["R10"] = _request(session, p1, e1, status=RequestStatus.awaiting_approval,
                        created_at=utc(2026, 3, 1), first_response_at=utc(2026, 3, 1, 2),
                        sla_paused_at=utc(2026, 3, 3))  # fmt: skip
    _approve(session, r["R1"], "approved", utc(2026, 3, 3, 7))
    _approve(session, r["R2"], "rejected", utc(2026, 3, 5, 12))
    _approve(session, r["R2"], "approved", utc(2026, 3, 6))
    _approve(session, r["R3"], "rejected", utc(2026, 3, 8))
    _approve(session, r["R3"], "approved", utc(2026, 3, 10))
    _approve(session, r["R4"], "approved", utc(2026, 2, 28, 20))

    def log(request: str, engineer: User, day: date, hours: str) -> None:
        make_work_log(session, request_id=r[request].id, engineer_id=engineer.id,
                      work_date=day, hours=Decimal(hours))  # fmt: skip

    log("R1", e1, date(2026, 3, 2), "4.00")
    log("R2", e1, date(2026, 3, 5), "3.50")
    log("R6", e1, date(2026, 3, 18), "2.25")
    log("R5", e1, date(2026, 4, 1), "5.00")
    log("R7", e2, date(2026, 3, 11), "6.00")
    log("R8", e3, date(2026, 3, 19), "1.15")
    log("R4", e2, date(2026, 2, 27), "3.00")

    def invoice(project: int, status: InvoiceStatus, amount: str, issued: date | None,
                due: date | None = None, paid: date | None = None) -> None:  # fmt: skip
        fields: dict[str, object] = {"project_id": project, "status": status,
                                     "amount": Decimal(amount)}  # fmt: skip
        if issued is not None:
            fields |= {"issued_on": issued, "due_on": due or issued + timedelta(days=30),
                       "paid_on": paid}  # fmt: skip
        if status is InvoiceStatus.cancelled:
            fields["cancelled_on"] = issued
        make_invoice(session, **fields)

    invoice(p1, InvoiceStatus.paid, "50000.00", date(2026, 3, 1), paid=date(2026, 3, 20))
    invoice(p1, InvoiceStatus.issued, "12400.00", date(2026, 3, 15), due=date(2026, 3, 16))
    invoice(p1, InvoiceStatus.cancelled, "99999.00", date(2026, 3, 5), due=date(2026, 3, 6))
    invoice(p1, InvoiceStatus.draft, "777.00", None)
    invoice(p2, InvoiceStatus.paid, "30000.00", date(2026, 2, 10), paid=date(2026, 3, 5))
    invoice(p2, InvoiceStatus.issued, "7000.50", date(2026, 2, 15), due=date(2026, 3, 17))
    invoice(p2, InvoiceStatus.issued, "1000.00", date(2026, 3, 19), due=date(2026, 3, 20))

    make_project_cost(
        session, project_id=p1, incurred_on=date(2026, 3, 10), amount=Decimal("1200.00")
    )
    make_project_cost(
        session, project_id=p1, incurred_on=date(2026, 2, 10), amount=Decimal("500.00")
    )
    make_project_cost(
        session, project_id=p2, incurred_on=date(2026, 3, 12), amount=Decimal("333.33")
    )
    return March(e1, e2, e3, pm, acme.id, globex.id, p1, p2, r)
