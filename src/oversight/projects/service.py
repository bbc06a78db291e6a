"""Creating and changing projects and their costs.

Services flush; the caller's unit of work commits.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.auth.principal import Principal
from oversight.auth.repository import get_user_or_raise
from oversight.customers.repository import get_customer_or_raise
from oversight.db.intent import note_intent
from oversight.db.sequences import next_value
from oversight.errors import Conflict, InvalidInput, referenced_by
from oversight.projects import repository
from oversight.projects.models import Project, ProjectCost
from oversight.projects.schemas import (
    ProjectCostCreate,
    ProjectCostUpdate,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
)
from oversight.projects.workflow import (
    FINAL_STATUSES,
    INITIAL_STATUSES,
    ProjectAction,
    allowed_actions,
    next_status,
)
from oversight.vocabulary import Role

MANAGER_ROLES = frozenset({Role.project_manager, Role.admin})
CLOSED_STATUSES = FINAL_STATUSES
_REQUIRED_PROJECT_FIELDS = ("name", "budget", "start_date")
_REQUIRED_COST_FIELDS = ("project_id", "incurred_on", "category", "description", "amount")


def _check_manager(session: Session, manager_id: int) -> None:
    with referenced_by("manager_id"):
        user = get_user_or_raise(session, manager_id)
    if not user.is_active:
        raise InvalidInput(
            f"user {manager_id} is disabled and cannot manage projects",
            details={"field": "manager_id"},
        )
    if user.role not in MANAGER_ROLES:
        raise InvalidInput(
            f"user {manager_id} has role {user.role.value!r}; a project manager must be "
            f"{' or '.join(sorted(role.value for role in MANAGER_ROLES))}",
            details={"field": "manager_id"},
        )


def _check_dates(start_date: date, end_date: date | None) -> None:
    if end_date is not None and end_date < start_date:
        raise InvalidInput(
            f"end_date {end_date.isoformat()} is before start_date {start_date.isoformat()}",
            details={"field": "end_date"},
        )


def project_id_for_reference(session: Session, reference: str) -> int | None:
    """A project named by its id (digits) or its code; None when nothing has that code. The
    id is not checked against the caller's scope: the caller's lookup by id does that."""
    text = reference.strip()
    if text.isdigit():
        return int(text)
    return repository.find_project_id_by_code(session, text)


def to_read(project: Project, principal: Principal) -> ProjectRead:
    """The API view of a project for `principal`: the actions its state allows, if the
    caller may change projects at all."""
    may_change = is_allowed(principal.role, Resource.projects, Action.update)
    return ProjectRead.model_validate(
        {
            **{f: getattr(project, f) for f in ProjectRead.model_fields if hasattr(project, f)},
            "allowed_actions": allowed_actions(project.status) if may_change else [],
        }
    )


def transition(*, session: Session, project: Project, action: ProjectAction) -> Project:
    """Move the project by a named action (409 naming the allowed ones otherwise), recorded
    in the audit trail as `project.<action>`."""
    project.status = next_status(project.code, project.status, action)
    note_intent(session, project, f"project.{action.value}")
    session.flush()
    return project


def next_project_code(session: Session) -> str:
    return f"PRJ-{next_value(session, 'project'):04d}"


def create_project(*, session: Session, data: ProjectCreate) -> Project:
    """A new project with a generated code, after checking its customer, manager and dates.
    A restricted caller (a project manager) must be able to see what they create: a project
    they manage, for a customer in their scope (their projects' or their inbox's)."""
    with referenced_by("customer_id"):
        get_customer_or_raise(session, data.customer_id)
    if data.manager_id is not None:
        _check_manager(session, data.manager_id)
    _check_dates(data.start_date, data.end_date)
    if data.status not in INITIAL_STATUSES:
        raise InvalidInput(
            f"a new project is planned or active, not {data.status.value} "
            "(later states come by the actions start, hold, resume, complete, cancel)",
            details={"field": "status"},
        )
    project = Project(code=next_project_code(session), **data.model_dump())
    session.add(project)
    session.flush()
    if not repository.is_visible(session, project.id):
        raise InvalidInput(
            "the project would be outside the records you can see: a project manager creates "
            "projects they manage themselves (manager_id: your own user id)",
            details={"field": "manager_id"},
        )
    return project


def update_project(*, session: Session, project: Project, data: ProjectUpdate) -> Project:
    """Apply the fields the caller sent (the status changes by `transition`). A caller cannot hand
    the project to a manager outside their own scope (a project manager giving their project
    away would lose it): reassignment across managers is for unrestricted roles."""
    changes = data.provided()
    if changes.get("manager_id") is not None:
        _check_manager(session, changes["manager_id"])
    _check_dates(
        changes.get("start_date", project.start_date), changes.get("end_date", project.end_date)
    )
    for field, value in changes.items():
        setattr(project, field, value)
    session.flush()
    if not repository.is_visible(session, project.id):
        raise InvalidInput(
            "the project would be outside the records you can see: "
            "only an administrator can hand it to another manager",
            details={"field": "manager_id"},
        )
    return project


def _project_open_for_costs(session: Session, project_id: int) -> Project:
    """The project a cost may be booked on: visible to the caller, and not completed/cancelled."""
    with referenced_by("project_id"):
        project = repository.get_project_or_raise(session, project_id)
    if project.status in CLOSED_STATUSES:
        raise Conflict(f"project {project.code} is {project.status.value}; it cannot get new costs")
    return project


def create_cost(*, session: Session, data: ProjectCostCreate) -> ProjectCost:
    _project_open_for_costs(session, data.project_id)
    cost = ProjectCost(**data.model_dump())
    session.add(cost)
    session.flush()
    return cost


def update_cost(*, session: Session, cost: ProjectCost, data: ProjectCostUpdate) -> ProjectCost:
    """Apply the fields the caller sent. Moving a cost to another project books a new cost
    there, so the target project must be open; a cost may be corrected where it stands."""
    changes = data.provided()
    if "project_id" in changes and changes["project_id"] != cost.project_id:
        _project_open_for_costs(session, changes["project_id"])
    for field, value in changes.items():
        setattr(cost, field, value)
    session.flush()
    return cost
