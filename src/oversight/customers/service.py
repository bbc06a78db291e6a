"""Creating and changing customers. Services flush; the caller's unit of work commits."""

from __future__ import annotations

from sqlalchemy.orm import Session

from oversight.customers import repository
from oversight.customers.models import Customer
from oversight.customers.schemas import CustomerCreate, CustomerUpdate
from oversight.errors import Conflict


def _ensure_name_free(session: Session, name: str, *, except_id: int | None = None) -> None:
    existing = repository.find_by_name(session, name)
    if existing is not None and existing.id != except_id:
        raise Conflict(f"a customer named {name!r} already exists")


def create_customer(*, session: Session, data: CustomerCreate) -> Customer:
    _ensure_name_free(session, data.name)
    customer = Customer(**data.model_dump())
    session.add(customer)
    session.flush()
    return customer


def update_customer(*, session: Session, customer: Customer, data: CustomerUpdate) -> Customer:
    changes = data.provided()
    if changes.get("name") is None:
        changes.pop("name", None)
    else:
        _ensure_name_free(session, changes["name"], except_id=customer.id)
    for field, value in changes.items():
        setattr(customer, field, value)
    session.flush()
    return customer
