from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base, Timestamped
from oversight.db.columns import enum_column
from oversight.db.traits import SCOPED, Audited, ModelTraits


class InvoiceStatus(enum.StrEnum):
    draft = "draft"
    issued = "issued"
    paid = "paid"
    cancelled = "cancelled"


class Invoice(Timestamped, Base):
    """A bill to a customer, optionally for one project. Overdue is derived, never stored."""

    __tablename__ = "invoices"
    __traits__ = ModelTraits(
        scope=SCOPED,
        audit=Audited("invoice", label="number", history="invoices"),
        kpi_input=True,
    )
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(
            "due_on IS NULL OR issued_on IS NULL OR due_on >= issued_on", name="due_after_issue"
        ),
        CheckConstraint("paid_on IS NULL OR paid_on >= issued_on", name="paid_after_issue"),
        Index("ix_invoices_issued_on", "issued_on"),
        Index("ix_invoices_paid_on", "paid_on"),
        Index("ix_invoices_status_due_on", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[Decimal]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[InvoiceStatus] = mapped_column(enum_column(InvoiceStatus), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    issued_on: Mapped[date | None]
    due_on: Mapped[date | None]
    paid_on: Mapped[date | None]
    cancelled_on: Mapped[date | None]
    cancellation_reason: Mapped[str | None] = mapped_column(Text)
