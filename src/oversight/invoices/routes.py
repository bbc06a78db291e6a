from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from oversight.auth.dependencies import SessionDep, SettingsDep, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.errors import InvalidInput
from oversight.invoices import repository
from oversight.invoices import service as invoice_service
from oversight.invoices.models import InvoiceStatus
from oversight.invoices.schemas import (
    InvoiceCancellation,
    InvoiceCreate,
    InvoiceIssue,
    InvoicePayment,
    InvoiceRead,
    InvoiceUpdate,
)
from oversight.kit.dates import Day
from oversight.kit.ids import RecordId
from oversight.kit.pagination import Page, PageQuery
from oversight.kit.routing import OffloadedRoute

router = APIRouter(prefix="/invoices", tags=["invoices"], route_class=OffloadedRoute)

InvoiceReader = Annotated[Principal, Depends(require(Resource.invoices, Action.read))]
InvoiceCreator = Annotated[Principal, Depends(require(Resource.invoices, Action.create))]
InvoiceEditor = Annotated[Principal, Depends(require(Resource.invoices, Action.update))]
InvoiceIssuer = Annotated[Principal, Depends(require(Resource.invoices, Action.issue))]
InvoicePayer = Annotated[Principal, Depends(require(Resource.invoices, Action.mark_paid))]
InvoiceCanceller = Annotated[Principal, Depends(require(Resource.invoices, Action.cancel))]


@router.get("")
def list_invoices(
    session: SessionDep,
    settings: SettingsDep,
    _: InvoiceReader,
    params: PageQuery,
    customer_id: Annotated[RecordId | None, Query()] = None,
    project_id: Annotated[RecordId | None, Query()] = None,
    invoice_status: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
    overdue: Annotated[
        bool | None, Query(description="issued and past due (company time zone)")
    ] = None,
    issued_from: Annotated[Day | None, Query(description="issued on or after")] = None,
    issued_to: Annotated[Day | None, Query(description="issued on or before")] = None,
) -> Page[InvoiceRead]:
    if issued_from is not None and issued_to is not None and issued_to < issued_from:
        raise InvalidInput(
            f"issued_to {issued_to.isoformat()} is before issued_from {issued_from.isoformat()}",
            details={"field": "issued_to"},
        )
    today = invoice_service.company_today(settings)
    rows, total = repository.list_invoices(
        session,
        params,
        today=today,
        customer_id=customer_id,
        project_id=project_id,
        status=invoice_status,
        overdue=overdue,
        issued_from=issued_from,
        issued_to=issued_to,
    )
    return Page[InvoiceRead](
        items=[invoice_service.present(row, today=today) for row in rows],
        page=params.page,
        page_size=params.page_size,
        total=total,
    )


@router.get("/{invoice_id}")
def read_invoice(
    session: SessionDep, settings: SettingsDep, _: InvoiceReader, invoice_id: RecordId
) -> InvoiceRead:
    invoice = repository.get_invoice_or_raise(session, invoice_id)
    return invoice_service.present(invoice, today=invoice_service.company_today(settings))


@router.post("", status_code=status.HTTP_201_CREATED)
def create_invoice(
    session: SessionDep, settings: SettingsDep, _: InvoiceCreator, body: InvoiceCreate
) -> InvoiceRead:
    invoice = invoice_service.create_invoice(session=session, settings=settings, data=body)
    return invoice_service.present(invoice, today=invoice_service.company_today(settings))


@router.patch("/{invoice_id}")
def update_invoice(
    session: SessionDep,
    settings: SettingsDep,
    _: InvoiceEditor,
    invoice_id: RecordId,
    body: InvoiceUpdate,
) -> InvoiceRead:
    invoice = repository.get_invoice_or_raise(session, invoice_id)
    updated = invoice_service.update_invoice(session=session, invoice=invoice, data=body)
    return invoice_service.present(updated, today=invoice_service.company_today(settings))


@router.post("/{invoice_id}/issue")
def issue_invoice(
    session: SessionDep,
    settings: SettingsDep,
    _: InvoiceIssuer,
    invoice_id: RecordId,
    body: InvoiceIssue | None = None,
) -> InvoiceRead:
    invoice = repository.get_invoice_or_raise(session, invoice_id)
    issued = invoice_service.issue_invoice(
        session=session, settings=settings, invoice=invoice, data=body or InvoiceIssue()
    )
    return invoice_service.present(issued, today=invoice_service.company_today(settings))


@router.post("/{invoice_id}/mark-paid")
def mark_invoice_paid(
    session: SessionDep,
    settings: SettingsDep,
    _: InvoicePayer,
    invoice_id: RecordId,
    body: InvoicePayment | None = None,
) -> InvoiceRead:
    invoice = repository.get_invoice_or_raise(session, invoice_id)
    paid = invoice_service.mark_invoice_paid(
        session=session, settings=settings, invoice=invoice, data=body or InvoicePayment()
    )
    return invoice_service.present(paid, today=invoice_service.company_today(settings))


@router.post("/{invoice_id}/cancel")
def cancel_invoice(
    session: SessionDep,
    settings: SettingsDep,
    _: InvoiceCanceller,
    invoice_id: RecordId,
    body: InvoiceCancellation | None = None,
) -> InvoiceRead:
    invoice = repository.get_invoice_or_raise(session, invoice_id)
    cancelled = invoice_service.cancel_invoice(
        session=session, settings=settings, invoice=invoice, data=body or InvoiceCancellation()
    )
    return invoice_service.present(cancelled, today=invoice_service.company_today(settings))
