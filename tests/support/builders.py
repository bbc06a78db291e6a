"""One-line test data: each builder inserts a valid record with sensible defaults and flushes.

Builders write through the ORM directly (not the services), so a test can set up any state,
including ones the workflow would take several steps to reach.
"""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from oversight.auth.models import User
from oversight.customers.models import Customer
from oversight.invoices.models import Invoice, InvoiceStatus
from oversight.projects.models import CostCategory, Project, ProjectCost, ProjectStatus
from oversight.security.passwords import Argon2Params, hash_password
from oversight.service_requests.models import RequestStatus, ServiceRequest, WorkLog
from oversight.vocabulary import Priority, Role

PASSWORD = "correct horse battery staple"
# OWASP's minimum argon2id cost, about six times cheaper than the production default: the
# test settings use it too, so logins in tests verify fast and need no rehash.
TEST_ARGON2 = Argon2Params(time_cost=2, memory_kib=19_456, parallelism=1)
_sequence = itertools.count(1)


def _next() -> int:
    return next(_sequence)


@functools.cache
def password_hash() -> str:
    """Hashing is deliberately slow; every built user shares one hash of PASSWORD."""
    return hash_password(PASSWORD, TEST_ARGON2)


def make_customer(session: Session, **fields: Any) -> Customer:
    n = _next()
    values: dict[str, Any] = {
        "name": f"Customer {n}",
        "contact_person": f"Contact Person {n}",
        "phone": f"+7 900 000-{n:04d}"[:20],
        "email": f"contact{n}@customer{n}.example",
    }
    customer = Customer(**(values | fields))
    session.add(customer)
    session.flush()
    return customer


def make_user(session: Session, role: Role = Role.admin, **fields: Any) -> User:
    n = _next()
    if role is Role.client and "customer_id" not in fields:
        fields["customer_id"] = make_customer(session).id
    values: dict[str, Any] = {
        "username": f"{role.value.replace('_', '')}{n}",
        "full_name": f"{role.value.title()} Person {n}",
        "password_hash": password_hash(),
        "role": role,
        "is_active": True,
    }
    if role is Role.engineer:
        values |= {"weekly_capacity_hours": Decimal(40), "cost_rate": Decimal("1500.00")}
    user = User(**(values | fields))
    session.add(user)
    session.flush()
    return user


def make_project(session: Session, **fields: Any) -> Project:
    n = _next()
    if "customer_id" not in fields:
        fields["customer_id"] = make_customer(session).id
    if "manager_id" not in fields:
        fields["manager_id"] = make_user(session, Role.project_manager).id
    values: dict[str, Any] = {
        "code": f"PRJ-T{n:05d}",
        "name": f"Project {n}",
        "budget": Decimal("100000.00"),
        "status": ProjectStatus.active,
        "start_date": date(2026, 1, 1),
    }
    project = Project(**(values | fields))
    session.add(project)
    session.flush()
    return project


def make_project_cost(session: Session, **fields: Any) -> ProjectCost:
    if "project_id" not in fields:
        fields["project_id"] = make_project(session).id
    values: dict[str, Any] = {
        "incurred_on": date(2026, 2, 1),
        "category": CostCategory.materials,
        "description": "Smoke detectors",
        "amount": Decimal("1200.00"),
    }
    cost = ProjectCost(**(values | fields))
    session.add(cost)
    session.flush()
    return cost


def make_request(session: Session, **fields: Any) -> ServiceRequest:
    n = _next()
    if "project_id" not in fields:
        fields["project_id"] = make_project(
            session, **({"customer_id": fields["customer_id"]} if "customer_id" in fields else {})
        ).id
    if "customer_id" not in fields:
        project = session.get(Project, fields["project_id"])
        assert project is not None
        fields["customer_id"] = project.customer_id
    created = fields.pop("created_at", datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    values: dict[str, Any] = {
        "number": f"SR-T{n:06d}",
        "title": f"Fire alarm panel fault {n}",
        "description": "Panel reports a loop fault",
        "priority": Priority.medium,
        "status": RequestStatus.new,
        "created_at": created,
        "response_due_at": created + timedelta(hours=4),
        "resolution_due_at": created + timedelta(days=3),
    }
    request = ServiceRequest(**(values | fields))
    session.add(request)
    session.flush()
    return request


def make_work_log(session: Session, **fields: Any) -> WorkLog:
    if "request_id" not in fields:
        fields["request_id"] = make_request(session).id
    if "engineer_id" not in fields:
        fields["engineer_id"] = make_user(session, Role.engineer).id
    values: dict[str, Any] = {
        "work_date": date(2026, 3, 3),
        "hours": Decimal("2.50"),
        "description": "Replaced loop isolator",
    }
    log = WorkLog(**(values | fields))
    session.add(log)
    session.flush()
    return log


def make_invoice(session: Session, **fields: Any) -> Invoice:
    n = _next()
    if "project_id" not in fields:
        fields["project_id"] = make_project(session).id
    if "customer_id" not in fields:
        project = session.get(Project, fields["project_id"])
        assert project is not None
        fields["customer_id"] = project.customer_id
    status = fields.get("status", InvoiceStatus.draft)
    values: dict[str, Any] = {
        "number": f"INV-T{n:06d}",
        "amount": Decimal("25000.00"),
        "currency": "RUB",
        "status": status,
        "description": "Quarterly maintenance",
    }
    if status is not InvoiceStatus.draft:
        values |= {"issued_on": date(2026, 3, 1), "due_on": date(2026, 3, 31)}
    if status is InvoiceStatus.paid:
        values["paid_on"] = date(2026, 3, 20)
    invoice = Invoice(**(values | fields))
    session.add(invoice)
    session.flush()
    return invoice
