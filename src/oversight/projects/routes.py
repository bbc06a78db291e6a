from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from oversight.auth.dependencies import SessionDep, SettingsDep, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.kit.ids import RecordId
from oversight.kit.page_query import PageQuery
from oversight.kit.pagination import Page, page_of
from oversight.kit.ranges import DateRangeQuery
from oversight.kit.routing import OffloadedRoute
from oversight.projects import repository
from oversight.projects import service as project_service
from oversight.projects.models import CostCategory, ProjectStatus
from oversight.projects.schemas import (
    ProjectCostCreate,
    ProjectCostRead,
    ProjectCostUpdate,
    ProjectCreate,
    ProjectRead,
    ProjectUpdate,
)
from oversight.projects.workflow import TRANSITIONS, ProjectAction

router = APIRouter(prefix="/projects", tags=["projects"], route_class=OffloadedRoute)
costs_router = APIRouter(
    prefix="/project-costs", tags=["project costs"], route_class=OffloadedRoute
)

ProjectReader = Annotated[Principal, Depends(require(Resource.projects, Action.read))]
ProjectCreator = Annotated[Principal, Depends(require(Resource.projects, Action.create))]
ProjectEditor = Annotated[Principal, Depends(require(Resource.projects, Action.update))]

CostReader = Annotated[Principal, Depends(require(Resource.project_costs, Action.read))]
CostCreator = Annotated[Principal, Depends(require(Resource.project_costs, Action.create))]
CostEditor = Annotated[Principal, Depends(require(Resource.project_costs, Action.update))]


@router.get("")
def list_projects(
    session: SessionDep,
    principal: ProjectReader,
    params: PageQuery,
    customer_id: Annotated[RecordId | None, Query()] = None,
    manager_id: Annotated[RecordId | None, Query()] = None,
    project_status: Annotated[ProjectStatus | None, Query(alias="status")] = None,
    search: Annotated[str | None, Query(max_length=100, description="in name or code")] = None,
) -> Page[ProjectRead]:
    """Projects in the caller's scope (project managers: the ones they manage; clients: their
    company's), a page at a time, filtered by customer, manager, `status` or part of the name
    (`search`)."""
    rows, total = repository.list_projects(
        session,
        params,
        customer_id=customer_id,
        manager_id=manager_id,
        status=project_status,
        search=search,
    )
    return Page[ProjectRead](
        items=[project_service.to_read(row, principal) for row in rows],
        page=params.page,
        page_size=params.page_size,
        total=total,
    )


@router.get("/{project_id}")
def read_project(
    session: SessionDep, principal: ProjectReader, project_id: RecordId
) -> ProjectRead:
    """One project in the caller's scope, with `allowed_actions` (the moves the caller may make
    now: start, hold, resume, complete, cancel)."""
    return project_service.to_read(repository.get_project_or_raise(session, project_id), principal)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_project(
    session: SessionDep, principal: ProjectCreator, body: ProjectCreate
) -> ProjectRead:
    """A new project (planned or active). Project managers create projects they manage
    themselves, for a customer they can see (their projects' or their inbox's)."""
    created = project_service.create_project(session=session, data=body)
    return project_service.to_read(created, principal)


@router.patch("/{project_id}")
def update_project(
    session: SessionDep, principal: ProjectEditor, project_id: RecordId, body: ProjectUpdate
) -> ProjectRead:
    """Edit a project's fields; its status changes by the actions below."""
    project = repository.get_project_or_raise(session, project_id)
    updated = project_service.update_project(session=session, project=project, data=body)
    return project_service.to_read(updated, principal)


def _transition_route(action: ProjectAction, summary: str) -> None:
    def move_project(
        session: SessionDep, principal: ProjectEditor, project_id: RecordId
    ) -> ProjectRead:
        project = repository.get_project_or_raise(session, project_id)
        moved = project_service.transition(session=session, project=project, action=action)
        return project_service.to_read(moved, principal)

    moves = ", ".join(f"{a.value} → {b.value}" for a, b in TRANSITIONS[action].items())
    router.add_api_route(
        f"/{{project_id}}/{action.value}",
        move_project,
        methods=["POST"],
        name=f"{action.value}_project",
        summary=summary,
        description=f"{moves}. Any other state: 409 naming the actions it allows.",
    )


_transition_route(ProjectAction.start, "Start a planned project")
_transition_route(ProjectAction.hold, "Put an active project on hold")
_transition_route(ProjectAction.resume, "Resume a project on hold")
_transition_route(ProjectAction.complete, "Complete an active project")
_transition_route(ProjectAction.cancel, "Cancel a project that is not finished")


@costs_router.get("")
def list_project_costs(
    session: SessionDep,
    _: CostReader,
    params: PageQuery,
    settings: SettingsDep,
    incurred: DateRangeQuery,
    project_id: Annotated[RecordId | None, Query()] = None,
    category: Annotated[CostCategory | None, Query()] = None,
) -> Page[ProjectCostRead]:
    """Project costs in the caller's scope (project managers: their projects'), a page at a
    time. `from`/`to` filter on the date the cost was incurred, both included."""
    incurred_from, incurred_to = incurred.days(settings.company.calendar.timezone)
    rows, total = repository.list_costs(
        session,
        params,
        project_id=project_id,
        category=category,
        incurred_from=incurred_from,
        incurred_to=incurred_to,
    )
    return page_of(ProjectCostRead, rows, total, params)


@costs_router.get("/{cost_id}")
def read_project_cost(session: SessionDep, _: CostReader, cost_id: RecordId) -> ProjectCostRead:
    """One project cost in the caller's scope; 404 when it does not exist or is outside your
    scope."""
    return ProjectCostRead.model_validate(repository.get_cost_or_raise(session, cost_id))


@costs_router.post("", status_code=status.HTTP_201_CREATED)
def create_project_cost(
    session: SessionDep, _: CostCreator, body: ProjectCostCreate
) -> ProjectCostRead:
    """Record a cost on a project (admin, accountant, the project's manager): date incurred,
    category, amount. Refused on a completed or cancelled project (409)."""
    return ProjectCostRead.model_validate(project_service.create_cost(session=session, data=body))


@costs_router.patch("/{cost_id}")
def update_project_cost(
    session: SessionDep, _: CostEditor, cost_id: RecordId, body: ProjectCostUpdate
) -> ProjectCostRead:
    """Correct a project cost (admin, accountant, the project's manager); only the fields sent
    change, audited field by field."""
    cost = repository.get_cost_or_raise(session, cost_id)
    updated = project_service.update_cost(session=session, cost=cost, data=body)
    return ProjectCostRead.model_validate(updated)
