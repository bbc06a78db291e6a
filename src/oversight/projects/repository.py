"""Queries for projects and their costs. Row scope is applied by the session
(oversight.auth.scope).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from oversight.auth.scope import UNSCOPED, get_visible_or_raise
from oversight.kit.pagination import PageParams, fetch_page, order_by_clauses
from oversight.projects.models import CostCategory, Project, ProjectCost, ProjectStatus

SORTABLE = {
    "code": Project.code,
    "name": Project.name,
    "status": Project.status,
    "budget": Project.budget,
    "start_date": Project.start_date,
    "created_at": Project.created_at,
    "id": Project.id,
}
COST_SORTABLE = {
    "incurred_on": ProjectCost.incurred_on,
    "amount": ProjectCost.amount,
    "category": ProjectCost.category,
    "created_at": ProjectCost.created_at,
    "id": ProjectCost.id,
}


def get_project_or_raise(session: Session, project_id: int) -> Project:
    """The project if it exists and is in the caller's scope; NotFound (the same) otherwise."""
    return get_visible_or_raise(session, Project, project_id, "project")


def find_project_id_by_code(session: Session, code: str) -> int | None:
    """The id of the project with this code (case-insensitive), whether or not the caller may
    see it: pass it on to `get_project_or_raise`, which answers a hidden project exactly like a
    missing one (and records the probe)."""
    return session.scalar(
        select(Project.id).where(func.upper(Project.code) == code.strip().upper()),
        execution_options={UNSCOPED: True},
    )


def is_visible(session: Session, project_id: int) -> bool:
    """Whether the caller's row scope includes the project (as stored after the last flush)."""
    return session.scalar(select(Project.id).where(Project.id == project_id)) is not None


def list_projects(
    session: Session,
    params: PageParams,
    *,
    customer_id: int | None = None,
    manager_id: int | None = None,
    status: ProjectStatus | None = None,
    search: str | None = None,
) -> tuple[Sequence[Project], int]:
    statement = select(Project)
    if customer_id is not None:
        statement = statement.where(Project.customer_id == customer_id)
    if manager_id is not None:
        statement = statement.where(Project.manager_id == manager_id)
    if status is not None:
        statement = statement.where(Project.status == status)
    if search:
        statement = statement.where(
            or_(
                Project.name.icontains(search, autoescape=True),
                Project.code.icontains(search, autoescape=True),
            )
        )
    statement = statement.order_by(*order_by_clauses(params.sort, SORTABLE, "code", Project.id))
    return fetch_page(session, statement, params)


def get_cost_or_raise(session: Session, cost_id: int) -> ProjectCost:
    return get_visible_or_raise(session, ProjectCost, cost_id, "project cost")


def list_costs(
    session: Session,
    params: PageParams,
    *,
    project_id: int | None = None,
    category: CostCategory | None = None,
    incurred_from: date | None = None,
    incurred_to: date | None = None,
) -> tuple[Sequence[ProjectCost], int]:
    statement = select(ProjectCost)
    if project_id is not None:
        statement = statement.where(ProjectCost.project_id == project_id)
    if category is not None:
        statement = statement.where(ProjectCost.category == category)
    if incurred_from is not None:
        statement = statement.where(ProjectCost.incurred_on >= incurred_from)
    if incurred_to is not None:
        statement = statement.where(ProjectCost.incurred_on <= incurred_to)
    statement = statement.order_by(
        *order_by_clauses(params.sort, COST_SORTABLE, "-incurred_on", ProjectCost.id)
    )
    return fetch_page(session, statement, params)
