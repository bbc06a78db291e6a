from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from oversight.auth.dependencies import SessionDep, SettingsDep, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.invoices import repository
from oversight.invoices import service as invoice_service
from oversight.invoices.filters import InvoiceFiltersDep
from oversight.invoices.schemas import (
    InvoiceCancellation,
    InvoiceCreate,
    InvoiceIssue,
    InvoicePayment,
    InvoiceRead,
    InvoiceUpdate,
)
from oversight.kit.ids import RecordId
from oversight.kit.page_query import PageQuery
from oversight.kit.pagination import Page
from oversight.kit.ranges import DateRange, legacy_range
from oversight.kit.routing import OffloadedRoute

router = APIRouter(prefix="/invoices", tags=["invoices"], route_class=OffloadedRoute)

InvoiceReader = Annotated[Principal, Depends(require(Resource.invoices, Action.read))]
InvoiceCreator = Annotated[Principal, Depends(require(Resource.invoices, Action.create))]
InvoiceEditor = Annotated[Principal, Depends(require(Resource.invoices, Action.update))]
InvoiceIssuer = Annotated[Principal, Depends(require(Resource.invoices, Action.issue))]
InvoicePayer = Annotated[Principal, Depends(require(Resource.invoices, Action.mark_paid))]
InvoiceCanceller = Annotated[Principal, Depends(require(Resource.invoices, Action.cancel))]
IssuedRange = Annotated[DateRange, Depends(legacy_range("issued_from", "issued_to"))]


@router.get("")
def list_invoices(
    session: SessionDep,
    settings: SettingsDep,
    _: InvoiceReader,
    params: PageQuery,
    filters: InvoiceFiltersDep,
    issued: IssuedRange,
) -> Page[InvoiceRead]:
    """Invoices in the caller's scope (project managers: their projects'; clients: their
    company's issued ones), a page at a time, newest first unless `sort` says otherwise.
    `from`/`to` filter on the issue date, both included; `overdue=true` lists the issued
    invoices past their due date."""
    today = invoice_service.company_today(settings)
    filters = filters.issued_within(*issued.days(settings.company.calendar.timezone))
    rows, total = repository.list_invoices(session, params, filters, today=today)
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
    """One invoice in the caller's scope, with `is_overdue` (issued and past its due date, company
    time zone)."""
    invoice = repository.get_invoice_or_raise(session, invoice_id)
    return invoice_service.present(invoice, today=invoice_service.company_today(settings))


@router.post("", status_code=status.HTTP_201_CREATED)
def create_invoice(
    session: SessionDep, settings: SettingsDep, _: InvoiceCreator, body: InvoiceCreate
) -> InvoiceRead:
    """Create a draft invoice (admin, accountant, a project's manager) in the company currency;
    another currency is refused (422 naming the company's). The number is assigned."""
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
    """Change a draft invoice's amount, description, due date or project; an issued invoice no
    longer changes (409)."""
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
    """Issue a draft invoice (admin, accountant): draft → issued, dated today unless `issued_on`
    is sent; the due date defaults to the company's payment terms."""
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
    """Record payment of an issued invoice (admin, accountant) on `paid_on` (default today; not in
    the future, not before issue)."""
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
    """Cancel a draft or issued invoice (admin, accountant) with an optional reason kept beside
    it."""
    invoice = repository.get_invoice_or_raise(session, invoice_id)
    cancelled = invoice_service.cancel_invoice(
        session=session, settings=settings, invoice=invoice, data=body or InvoiceCancellation()
    )
    return invoice_service.present(cancelled, today=invoice_service.company_today(settings))
