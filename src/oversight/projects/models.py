from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base, Timestamped
from oversight.db.columns import enum_column
from oversight.db.traits import SCOPED, Audited, ModelTraits


class ProjectStatus(enum.StrEnum):
    planned = "planned"
    active = "active"
    on_hold = "on_hold"
    completed = "completed"
    cancelled = "cancelled"


class CostCategory(enum.StrEnum):
    materials = "materials"
    equipment = "equipment"
    subcontract = "subcontract"
    travel = "travel"
    other = "other"


class Project(Timestamped, Base):
    """A service contract with one customer, run by one project manager."""

    __tablename__ = "projects"
    __traits__ = ModelTraits(
        scope=SCOPED,
        audit=Audited("project", label="code", history="projects"),
        kpi_input=True,
    )
    __table_args__ = (
        CheckConstraint("budget >= 0", name="budget_not_negative"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="RESTRICT"), index=True
    )
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    budget: Mapped[Decimal]
    status: Mapped[ProjectStatus] = mapped_column(enum_column(ProjectStatus))
    start_date: Mapped[date]
    end_date: Mapped[date | None]


class ProjectCost(Timestamped, Base):
    """Money spent on a project other than engineers' logged hours."""

    __tablename__ = "project_costs"
    __traits__ = ModelTraits(
        scope=SCOPED,
        audit=Audited("project_cost", history="project_costs"),
        kpi_input=True,
    )
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_project_costs_incurred_on", "incurred_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="RESTRICT"), index=True
    )
    incurred_on: Mapped[date]
    category: Mapped[CostCategory] = mapped_column(enum_column(CostCategory))
    description: Mapped[str] = mapped_column(String(500))
    amount: Mapped[Decimal]
