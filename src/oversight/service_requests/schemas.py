from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints, field_validator

from oversight.kit.ids import RecordId
from oversight.kit.schemas import Amount, Day, InputSchema, OutputSchema
from oversight.service_requests.models import ApprovalDecision, RequestStatus
from oversight.service_requests.workflow import RequestAction
from oversight.vocabulary import Priority

Title = Annotated[str, StringConstraints(min_length=3, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=10_000)]
Comment = Annotated[str, StringConstraints(min_length=1, max_length=2_000)]
WorkHours = Annotated[Decimal, Field(gt=0, le=24, decimal_places=2)]


class RequestCreate(InputSchema):
    title: Title
    description: Description = ""
    priority: Priority = Priority.medium
    customer_id: RecordId | None = Field(
        default=None, description="required for staff unless project_id is given; clients omit it"
    )
    project_id: RecordId | None = None


class RequestUpdate(InputSchema):
    NOT_NULL = ("title", "priority")

    title: Title | None = None
    description: Description | None = None
    priority: Priority | None = None
    project_id: RecordId | None = None


class RequestRead(OutputSchema):
    id: int
    number: str
    customer_id: int
    project_id: int | None
    title: str
    description: str
    priority: Priority
    status: RequestStatus
    created_at: datetime
    first_response_at: datetime | None
    response_due_at: datetime
    resolution_due_at: datetime
    sla_paused: bool
    is_overdue: bool
    assigned_engineer_id: int | None
    completed_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    revision_count: int
    allowed_actions: list[RequestAction] = Field(
        description="what the caller may do to this request now: the actions its state allows "
        "that the caller's role is permitted"
    )


class AssignBody(InputSchema):
    engineer_id: RecordId


class BatchAssignBody(InputSchema):
    request_ids: Annotated[
        list[RecordId],
        Field(min_length=1, max_length=100, description="1-100 distinct request ids"),
    ]
    engineer_id: RecordId

    @field_validator("request_ids")
    @classmethod
    def _distinct(cls, ids: list[int]) -> list[int]:
        repeated = sorted({n for n in ids if ids.count(n) > 1})
        if repeated:
            raise ValueError(f"each request once; repeated: {', '.join(map(str, repeated))}")
        return ids


class ApproveBody(InputSchema):
    comment: Comment | None = None


class RejectBody(InputSchema):
    """Rejecting completed work must say what is wrong."""

    comment: Comment


class ApprovalRead(OutputSchema):
    id: int
    request_id: int
    decision: ApprovalDecision
    comment: str
    decided_by_id: int | None
    decided_at: datetime


class WorkLogCreate(InputSchema):
    request_id: RecordId
    work_date: Day
    hours: WorkHours
    description: Description = ""
    engineer_id: RecordId | None = Field(
        default=None, description="staff logging for an engineer; engineers omit it"
    )


class WorkLogUpdate(InputSchema):
    NOT_NULL = ("work_date", "hours")

    work_date: Day | None = None
    hours: WorkHours | None = None
    description: Description | None = None


class WorkLogRead(OutputSchema):
    id: int
    request_id: int
    engineer_id: int
    work_date: date
    hours: Amount
    description: str
    created_at: datetime
