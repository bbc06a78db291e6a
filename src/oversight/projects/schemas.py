from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, StringConstraints

from oversight.kit.ids import RecordId
from oversight.kit.money import to_money
from oversight.kit.schemas import Day, InputSchema, Name, OutputSchema
from oversight.projects.models import CostCategory, ProjectStatus
from oversight.projects.workflow import ProjectAction

Budget = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2), AfterValidator(to_money)]
CostAmount = Annotated[
    Decimal, Field(gt=0, max_digits=14, decimal_places=2), AfterValidator(to_money)
]
CostDescription = Annotated[str, StringConstraints(min_length=1, max_length=500)]
Description = Annotated[str, StringConstraints(max_length=10_000)]


class ProjectCreate(InputSchema):
    """A new project; its `code` is generated, never sent."""

    name: Name
    description: Description | None = None
    customer_id: RecordId
    manager_id: RecordId | None = None
    budget: Budget
    status: ProjectStatus = Field(
        default=ProjectStatus.planned, description="planned or active; later states by actions"
    )
    start_date: Day
    end_date: Day | None = None


class ProjectUpdate(InputSchema):
    """What may change on a project. The customer is fixed once the project exists; the
    status changes only by the named actions (`POST /projects/{id}/start|hold|resume|
    complete|cancel`)."""

    NOT_NULL = ("name", "budget", "status", "start_date")
    name: Name | None = None
    description: Description | None = None
    manager_id: RecordId | None = None
    budget: Budget | None = None
    start_date: Day | None = None
    end_date: Day | None = None


class ProjectRead(OutputSchema):
    id: int
    code: str
    name: str
    description: str | None
    customer_id: int
    manager_id: int | None
    budget: Decimal
    status: ProjectStatus
    allowed_actions: list[ProjectAction] = Field(
        description="the actions the project's state allows (to callers who may update it)"
    )
    start_date: date
    end_date: date | None
    created_at: datetime
    updated_at: datetime


class ProjectCostCreate(InputSchema):
    project_id: RecordId
    incurred_on: Day
    category: CostCategory
    description: CostDescription
    amount: CostAmount


class ProjectCostUpdate(InputSchema):
    NOT_NULL = ("project_id", "incurred_on", "category", "description", "amount")

    project_id: RecordId | None = None
    incurred_on: Day | None = None
    category: CostCategory | None = None
    description: CostDescription | None = None
    amount: CostAmount | None = None


class ProjectCostRead(OutputSchema):
    id: int
    project_id: int
    incurred_on: date
    category: CostCategory
    description: str
    amount: Decimal
    created_at: datetime
    updated_at: datetime
