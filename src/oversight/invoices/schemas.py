from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from oversight.invoices.models import InvoiceStatus
from oversight.kit.ids import RecordId
from oversight.kit.money import to_money
from oversight.kit.schemas import Day, InputSchema, OutputSchema

Amount = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2), AfterValidator(to_money)]
Currency = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(description="ISO 4217, e.g. RUB")
]
Description = Annotated[str, StringConstraints(max_length=5000)]
Reason = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class InvoiceCreate(InputSchema):
    """A new draft invoice; number and status are assigned, never sent."""

    customer_id: RecordId
    project_id: RecordId | None = None
    amount: Amount
    currency: Currency | None = Field(
        default=None,
        description="the company currency (OVERSIGHT_COMPANY__CURRENCY), its default; "
        "any other is refused with 422",
    )
    description: Description = ""
    due_on: Day | None = None


class InvoiceUpdate(InputSchema):
    """What may change on a draft invoice."""

    NOT_NULL = ("amount", "description")
    amount: Amount | None = None
    description: Description | None = None
    due_on: Day | None = None
    project_id: RecordId | None = None


class InvoiceIssue(InputSchema):
    issued_on: Day | None = Field(default=None, description="defaults to today")


class InvoicePayment(InputSchema):
    paid_on: Day | None = Field(default=None, description="defaults to today")


class InvoiceCancellation(InputSchema):
    reason: Reason | None = None


class InvoiceRead(OutputSchema):
    id: int
    number: str
    customer_id: int
    project_id: int | None
    amount: Decimal
    currency: str
    status: InvoiceStatus
    description: str
    issued_on: date | None
    due_on: date | None
    paid_on: date | None
    cancelled_on: date | None
    cancellation_reason: str | None
    is_overdue: bool = Field(description="issued and past its due date (company time zone)")
    created_at: datetime
    updated_at: datetime
