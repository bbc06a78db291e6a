from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from oversight.auth.dependencies import SessionDep, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.customers import repository
from oversight.customers import service as customer_service
from oversight.customers.schemas import CustomerCreate, CustomerRead, CustomerUpdate
from oversight.kit.ids import RecordId
from oversight.kit.page_query import PageQuery
from oversight.kit.pagination import Page, page_of
from oversight.kit.routing import OffloadedRoute

router = APIRouter(prefix="/customers", tags=["customers"], route_class=OffloadedRoute)

CustomerReader = Annotated[Principal, Depends(require(Resource.customers, Action.read))]
CustomerCreator = Annotated[Principal, Depends(require(Resource.customers, Action.create))]
CustomerEditor = Annotated[Principal, Depends(require(Resource.customers, Action.update))]


@router.get("")
def list_customers(
    session: SessionDep,
    _: CustomerReader,
    params: PageQuery,
    search: Annotated[str | None, Query(max_length=100, description="part of the name")] = None,
    phone: Annotated[
        str | None, Query(max_length=40, pattern=r"\d", description="exact phone number")
    ] = None,
    email: Annotated[str | None, Query(max_length=320, description="exact e-mail")] = None,
) -> Page[CustomerRead]:
    """Customers in the caller's scope, a page at a time: `search` matches part of the name,
    `phone` and `email` match exactly (they are stored encrypted, so they are not sortable)."""
    rows, total = repository.list_customers(
        session, params, search=search, phone=phone, email=email
    )
    return page_of(CustomerRead, rows, total, params)


@router.get("/{customer_id}")
def read_customer(session: SessionDep, _: CustomerReader, customer_id: RecordId) -> CustomerRead:
    """One customer in the caller's scope; 404 when it does not exist or is outside your scope
    (the same answer)."""
    return CustomerRead.model_validate(repository.get_customer_or_raise(session, customer_id))


@router.post("", status_code=status.HTTP_201_CREATED)
def create_customer(session: SessionDep, _: CustomerCreator, body: CustomerCreate) -> CustomerRead:
    """Create a customer (admin, accountant). Contact names, phones and e-mails are encrypted at
    rest; the creation is audited."""
    return CustomerRead.model_validate(customer_service.create_customer(session=session, data=body))


@router.patch("/{customer_id}")
def update_customer(
    session: SessionDep, _: CustomerEditor, customer_id: RecordId, body: CustomerUpdate
) -> CustomerRead:
    """Change a customer's details (admin, accountant); only the fields sent change, and each
    change is audited field by field."""
    customer = repository.get_customer_or_raise(session, customer_id)
    updated = customer_service.update_customer(session=session, customer=customer, data=body)
    return CustomerRead.model_validate(updated)
