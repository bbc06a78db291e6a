from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base, Timestamped
from oversight.db.columns import enum_column
from oversight.db.traits import SCOPED, Audited, ModelTraits
from oversight.db.types import Hours
from oversight.kit.clock import utcnow
from oversight.vocabulary import Priority


class RequestStatus(enum.StrEnum):
    new = "new"
    assigned = "assigned"
    in_progress = "in_progress"
    awaiting_approval = "awaiting_approval"
    closed = "closed"
    cancelled = "cancelled"


class ApprovalDecision(enum.StrEnum):
    approved = "approved"
    rejected = "rejected"


CLOSED_AT_INCLUDE = [
    "status",
    "created_at",
    "resolution_due_at",
    "revision_count",
    "assigned_engineer_id",
]


class ServiceRequest(Timestamped, Base):
    """A customer's request for service, with its SLA clock and workflow state.

    `resolution_due_at` is the SLA due date; it moves later by the business time the request
    spent awaiting the client's approval (`sla_paused_at` marks a pause in progress).
    """

    __tablename__ = "service_requests"
    __traits__ = ModelTraits(
        scope=SCOPED,
        audit=Audited("service_request", label="number", history="requests"),
        kpi_input=True,
    )
    __table_args__ = (
        CheckConstraint("revision_count >= 0", name="revisions_not_negative"),
        Index("ix_service_requests_status_priority", "status", "priority"),
        # The KPI period indexes carry the columns the KPIs read (PostgreSQL INCLUDE), so a
        # month's figures are index-only scans of the month (migration 0018).
        Index(
            "ix_service_requests_first_response_at",
            "first_response_at",
            postgresql_include=["created_at", "response_due_at"],
        ),
        Index(
            "ix_service_requests_closed_at",
            "closed_at",
            postgresql_include=CLOSED_AT_INCLUDE,
        ),
        Index(
            "ix_service_requests_created_at",
            "created_at",
            postgresql_include=["assigned_engineer_id"],
        ),
        # a request's project and customer by its key without reading the row: the labour
        # cost of a period finds each work log's project through it
        Index("ix_service_requests_id_project_customer", "id", "project_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[Priority] = mapped_column(enum_column(Priority))
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_response_at: Mapped[datetime | None]
    response_due_at: Mapped[datetime]
    resolution_due_at: Mapped[datetime]
    sla_paused_at: Mapped[datetime | None]
    assigned_engineer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    completed_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    revision_count: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CompletionApproval(Base):
    """The client's verdict on completed work: approved closes, rejected sends it back."""

    __tablename__ = "completion_approvals"
    __traits__ = ModelTraits(scope=SCOPED, audit=Audited("completion_approval"), kpi_input=True)
    __table_args__ = (
        Index("ix_completion_approvals_decided_at", "decided_at", postgresql_include=["decision"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="CASCADE"), index=True
    )
    decision: Mapped[ApprovalDecision] = mapped_column(enum_column(ApprovalDecision))
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkLog(Timestamped, Base):
    """Hours an engineer spent on a request on one day."""

    __tablename__ = "work_logs"
    __traits__ = ModelTraits(
        scope=SCOPED, audit=Audited("work_log", history="work_logs"), kpi_input=True
    )
    __table_args__ = (
        CheckConstraint("hours > 0 AND hours <= 24", name="hours_in_day"),
        Index("ix_work_logs_engineer_id_work_date", "engineer_id", "work_date"),
        Index(
            "ix_work_logs_work_date",
            "work_date",
            postgresql_include=["request_id", "engineer_id", "hours"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="RESTRICT"), index=True
    )
    engineer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    work_date: Mapped[date]
    hours: Mapped[Decimal] = mapped_column(Hours())
    description: Mapped[str] = mapped_column(Text, default="")
