"""Creating, editing and moving invoices through their life cycle (see `workflow`).

Services flush; the caller's unit of work commits. Dates such as "today" are company-local.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from oversight.config import Settings
from oversight.customers.repository import get_customer_or_raise
from oversight.db.intent import note_intent
from oversight.db.sequences import next_value
from oversight.errors import InvalidInput, referenced_by
from oversight.invoices import repository, workflow
from oversight.invoices.models import Invoice, InvoiceStatus
from oversight.invoices.schemas import (
    InvoiceCancellation,
    InvoiceCreate,
    InvoiceIssue,
    InvoicePayment,
    InvoiceRead,
    InvoiceUpdate,
)
from oversight.invoices.workflow import InvoiceAction
from oversight.kit.clock import local_today
from oversight.projects.models import Project
from oversight.projects.repository import get_project_or_raise

_STORED_FIELDS = tuple(name for name in InvoiceRead.model_fields if name != "is_overdue")


def company_today(settings: Settings) -> date:
    return local_today(settings.company.calendar.timezone)


def present(invoice: Invoice, *, today: date) -> InvoiceRead:
    """The API view of an invoice, with `is_overdue` derived for `today`."""
    data = {name: getattr(invoice, name) for name in _STORED_FIELDS}
    return InvoiceRead.model_validate(data | {"is_overdue": repository.is_overdue(invoice, today)})


def _visible_project(session: Session, project_id: int) -> Project:
    with referenced_by("project_id"):
        return get_project_or_raise(session, project_id)


def _ensure_still_visible(session: Session, invoice: Invoice) -> None:
    """Refuse a write that would put the invoice outside the caller's own row scope (e.g. a
    project manager's invoice without one of their projects): they could never see it again."""
    session.flush()
    if not repository.is_visible(session, invoice.id):
        raise InvalidInput(
            "the invoice would be outside the records you can see: "
            "set project_id to one of your projects",
            details={"field": "project_id"},
        )


def next_invoice_number(session: Session, today: date) -> str:
    """INV-YYYY-NNNNN, numbered per company-local year."""
    return f"INV-{today.year}-{next_value(session, f'invoice-{today.year}'):05d}"


def ensure_company_currency(settings: Settings, currency: str | None) -> str:
    """The currency of a new invoice: the company's (`OVERSIGHT_COMPANY__CURRENCY`).

    The company keeps its books in one currency, so money KPIs never add amounts of
    different currencies: an invoice in another one is refused (422 naming the company's)."""
    company = settings.company.currency
    if currency is not None and currency != company:
        raise InvalidInput(
            f"invoices are in the company currency {company}, not {currency}: "
            f"convert the amount to {company} or leave currency out",
            details={"field": "currency", "company_currency": company},
        )
    return company


def create_invoice(*, session: Session, settings: Settings, data: InvoiceCreate) -> Invoice:
    """A new draft invoice with a generated number, in the company currency."""
    currency = ensure_company_currency(settings, data.currency)
    with referenced_by("customer_id"):
        get_customer_or_raise(session, data.customer_id)
    if data.project_id is not None:
        project = _visible_project(session, data.project_id)
        if project.customer_id != data.customer_id:
            raise InvalidInput(
                f"customer_id {data.customer_id} does not match project {project.code}, "
                f"which belongs to customer {project.customer_id}",
                details={"field": "customer_id"},
            )
    invoice = Invoice(
        number=next_invoice_number(session, company_today(settings)),
        customer_id=data.customer_id,
        project_id=data.project_id,
        amount=data.amount,
        currency=currency,
        status=InvoiceStatus.draft,
        description=data.description,
        due_on=data.due_on,
    )
    session.add(invoice)
    _ensure_still_visible(session, invoice)
    return invoice


def update_invoice(*, session: Session, invoice: Invoice, data: InvoiceUpdate) -> Invoice:
    """Apply the fields the caller sent; only a draft may change."""
    workflow.ensure_editable(invoice)
    changes = data.provided()
    project_id = changes.get("project_id")
    if project_id is not None and project_id != invoice.project_id:
        project = _visible_project(session, project_id)
        if project.customer_id != invoice.customer_id:
            raise InvalidInput(
                f"project {project.code} belongs to customer {project.customer_id}, "
                f"not to this invoice's customer {invoice.customer_id}",
                details={"field": "project_id"},
            )
    for field, value in changes.items():
        setattr(invoice, field, value)
    _ensure_still_visible(session, invoice)
    return invoice


def issue_invoice(
    *, session: Session, settings: Settings, invoice: Invoice, data: InvoiceIssue
) -> Invoice:
    """draft -> issued. Due date: the one already set, or the issue date plus the company's
    payment terms."""
    status = workflow.target_status(invoice, InvoiceAction.issue)
    issued_on = data.issued_on or company_today(settings)
    due_on = invoice.due_on or issued_on + timedelta(days=settings.company.invoice_payment_days)
    if due_on < issued_on:
        raise InvalidInput(
            f"issued_on {issued_on.isoformat()} is after the invoice's due_on "
            f"{due_on.isoformat()}; issue it earlier or change due_on first",
            details={"field": "issued_on"},
        )
    invoice.status = status
    note_intent(session, invoice, "invoice.issued")
    invoice.issued_on = issued_on
    invoice.due_on = due_on
    session.flush()
    return invoice


def mark_invoice_paid(
    *, session: Session, settings: Settings, invoice: Invoice, data: InvoicePayment
) -> Invoice:
    """issued -> paid, on a date between the issue date and today."""
    status = workflow.target_status(invoice, InvoiceAction.mark_paid)
    today = company_today(settings)
    paid_on = data.paid_on or today
    if paid_on > today:
        raise InvalidInput(
            f"paid_on {paid_on.isoformat()} is in the future (today is {today.isoformat()})",
            details={"field": "paid_on"},
        )
    if invoice.issued_on is not None and paid_on < invoice.issued_on:
        raise InvalidInput(
            f"paid_on {paid_on.isoformat()} is before the invoice was issued "
            f"({invoice.issued_on.isoformat()})",
            details={"field": "paid_on"},
        )
    invoice.status = status
    note_intent(session, invoice, "invoice.paid")
    invoice.paid_on = paid_on
    session.flush()
    return invoice


def cancel_invoice(
    *, session: Session, settings: Settings, invoice: Invoice, data: InvoiceCancellation
) -> Invoice:
    """draft or issued -> cancelled, today, with the reason kept beside it."""
    status = workflow.target_status(invoice, InvoiceAction.cancel)
    today = company_today(settings)
    invoice.status = status
    note_intent(session, invoice, "invoice.cancelled", data.reason)
    invoice.cancelled_on = today
    invoice.cancellation_reason = data.reason
    session.flush()
    return invoice
