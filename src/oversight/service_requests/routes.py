from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status

from oversight.auth.dependencies import SessionDep, SettingsDep, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.kit.clock import utcnow
from oversight.kit.ids import RecordId
from oversight.kit.page_query import PageQuery, UnsortedPageQuery
from oversight.kit.pagination import Page, page_of
from oversight.kit.ranges import DateRange, DateRangeQuery, legacy_range
from oversight.kit.routing import OffloadedRoute
from oversight.service_requests import repository, work_logs
from oversight.service_requests import service as request_service
from oversight.service_requests.filters import RequestFiltersDep
from oversight.service_requests.schemas import (
    ApprovalRead,
    ApproveBody,
    AssignBody,
    BatchAssignBody,
    RejectBody,
    RequestCreate,
    RequestRead,
    RequestUpdate,
    WorkLogCreate,
    WorkLogRead,
    WorkLogUpdate,
)

router = APIRouter(prefix="/requests", tags=["service requests"], route_class=OffloadedRoute)
work_logs_router = APIRouter(prefix="/work-logs", tags=["work logs"], route_class=OffloadedRoute)


def _requires(action: Action) -> object:
    return Depends(require(Resource.requests, action))


RequestReader = Annotated[Principal, _requires(Action.read)]
RequestCreator = Annotated[Principal, _requires(Action.create)]
RequestEditor = Annotated[Principal, _requires(Action.update)]
RequestAssigner = Annotated[Principal, _requires(Action.assign)]
RequestStarter = Annotated[Principal, _requires(Action.start)]
RequestCompleter = Annotated[Principal, _requires(Action.complete)]
RequestApprover = Annotated[Principal, _requires(Action.approve)]
RequestRejecter = Annotated[Principal, _requires(Action.reject)]
RequestCloser = Annotated[Principal, _requires(Action.close)]
RequestReopener = Annotated[Principal, _requires(Action.reopen)]
RequestCanceller = Annotated[Principal, _requires(Action.cancel)]
WorkLogReader = Annotated[Principal, Depends(require(Resource.work_logs, Action.read))]
WorkLogCreator = Annotated[Principal, Depends(require(Resource.work_logs, Action.create))]
WorkLogEditor = Annotated[Principal, Depends(require(Resource.work_logs, Action.update))]
CreatedRange = Annotated[DateRange, Depends(legacy_range("created_from", "created_to"))]


@router.get("")
def list_requests(
    session: SessionDep,
    settings: SettingsDep,
    principal: RequestReader,
    params: PageQuery,
    filters: RequestFiltersDep,
    created: CreatedRange,
) -> Page[RequestRead]:
    """Requests in the caller's scope, a page at a time, newest first unless `sort` says
    otherwise. `from`/`to` filter on the creation time (a date is that local day); `status`
    and `priority` may repeat. Dispatchers (project managers,
    `OVERSIGHT_DESK__DISPATCHER_ROLES`) also see the unassigned inbox (`unassigned=true`)."""
    now = utcnow()
    filters = filters.created_within(*created.instants(settings.company.calendar.timezone))
    rows, total = repository.list_requests(session, params, filters, now=now)
    return Page[RequestRead](
        items=[request_service.to_read(row, principal, now) for row in rows],
        page=params.page,
        page_size=params.page_size,
        total=total,
    )


@router.get("/{request_id}")
def read_request(
    session: SessionDep, principal: RequestReader, request_id: RecordId
) -> RequestRead:
    """One request in the caller's scope, with its SLA state (`is_overdue`, `sla_paused`) and
    `allowed_actions`: what this caller may do to it now."""
    return request_service.to_read(repository.get_request_or_raise(session, request_id), principal)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_request(
    session: SessionDep, settings: SettingsDep, principal: RequestCreator, body: RequestCreate
) -> RequestRead:
    """Open a service request. Staff name the project (or, for the inbox, only the customer); a
    client's requests are for their own company. Its SLA due dates come from the priority.
    Refused on a completed or cancelled project (409)."""
    request = request_service.create_request(
        session=session, settings=settings, principal=principal, data=body
    )
    return request_service.to_read(request, principal)


@router.patch("/{request_id}")
def update_request(
    session: SessionDep,
    settings: SettingsDep,
    principal: RequestEditor,
    request_id: RecordId,
    body: RequestUpdate,
) -> RequestRead:
    """Change a request's title, description, priority or project (admin, its project manager).
    Changing the priority re-derives the due dates and is allowed only before work starts."""
    request = repository.get_request_or_raise(session, request_id)
    updated = request_service.update_request(
        session=session, settings=settings, request=request, data=body
    )
    return request_service.to_read(updated, principal)


@router.post("/{request_id}/assign")
def assign_request(
    session: SessionDep, principal: RequestAssigner, request_id: RecordId, body: AssignBody
) -> RequestRead:
    """Assign a request to an engineer (admin, its project manager; dispatchers also from the
    inbox). 409 naming the allowed actions when the state does not allow it."""
    request = repository.get_request_or_raise(session, request_id)
    return request_service.to_read(
        request_service.assign(session=session, request=request, engineer_id=body.engineer_id),
        principal,
    )


@router.post("/assign")
def assign_requests(
    session: SessionDep, principal: RequestAssigner, body: BatchAssignBody
) -> list[RequestRead]:
    """Assign several requests to one engineer, all or nothing: if any id is missing, outside
    the caller's scope (404) or not assignable in its state (409), none is assigned."""
    requests = request_service.assign_many(
        session=session, request_ids=body.request_ids, engineer_id=body.engineer_id
    )
    return [request_service.to_read(request, principal) for request in requests]


@router.post("/{request_id}/start")
def start_request(
    session: SessionDep, principal: RequestStarter, request_id: RecordId
) -> RequestRead:
    """The assigned engineer (or a manager) starts work: assigned → in_progress. Counts as the
    first response."""
    request = repository.get_request_or_raise(session, request_id)
    return request_service.to_read(
        request_service.start(session=session, request=request), principal
    )


@router.post("/{request_id}/complete")
def complete_request(
    session: SessionDep, principal: RequestCompleter, request_id: RecordId
) -> RequestRead:
    """Work is done: in_progress → awaiting_approval. The resolution clock pauses until the client
    approves or rejects."""
    request = repository.get_request_or_raise(session, request_id)
    return request_service.to_read(
        request_service.complete(session=session, request=request), principal
    )


@router.post("/{request_id}/approve")
def approve_request(
    session: SessionDep,
    settings: SettingsDep,
    principal: RequestApprover,
    request_id: RecordId,
    body: ApproveBody | None = None,
) -> RequestRead:
    """The client (or an admin) accepts the completed work: awaiting_approval → closed, with an
    optional comment."""
    request = repository.get_request_or_raise(session, request_id)
    approved = request_service.approve(
        session=session,
        settings=settings,
        principal=principal,
        request=request,
        comment=body.comment if body else None,
    )
    return request_service.to_read(approved, principal)


@router.post("/{request_id}/reject")
def reject_request(
    session: SessionDep,
    settings: SettingsDep,
    principal: RequestRejecter,
    request_id: RecordId,
    body: RejectBody,
) -> RequestRead:
    """The client (or an admin) sends the work back with a comment saying what is wrong:
    awaiting_approval → in_progress; counts a revision."""
    request = repository.get_request_or_raise(session, request_id)
    rejected = request_service.reject(
        session=session,
        settings=settings,
        principal=principal,
        request=request,
        comment=body.comment,
    )
    return request_service.to_read(rejected, principal)


@router.post("/{request_id}/close")
def close_request(
    session: SessionDep, settings: SettingsDep, principal: RequestCloser, request_id: RecordId
) -> RequestRead:
    """Close a request awaiting approval (admin, its project manager) without waiting for
    the client's decision: awaiting_approval → closed."""
    request = repository.get_request_or_raise(session, request_id)
    return request_service.to_read(
        request_service.close(session=session, settings=settings, request=request), principal
    )


@router.post("/{request_id}/reopen")
def reopen_request(
    session: SessionDep, principal: RequestReopener, request_id: RecordId
) -> RequestRead:
    """Reopen a closed request (admin, its project manager, its client): closed → in_progress;
    counts a revision."""
    request = repository.get_request_or_raise(session, request_id)
    return request_service.to_read(
        request_service.reopen(session=session, request=request), principal
    )


@router.post("/{request_id}/cancel")
def cancel_request(
    session: SessionDep, settings: SettingsDep, principal: RequestCanceller, request_id: RecordId
) -> RequestRead:
    """Cancel an open request (admin, its project manager, its client); a cancelled request takes
    no more work logs."""
    request = repository.get_request_or_raise(session, request_id)
    return request_service.to_read(
        request_service.cancel(session=session, settings=settings, request=request), principal
    )


@router.get("/{request_id}/approvals")
def list_request_approvals(
    session: SessionDep, principal: RequestReader, request_id: RecordId, params: UnsortedPageQuery
) -> Page[ApprovalRead]:
    """The client's decisions on the completed work of one request (approved, or rejected
    with the comment saying what to redo), oldest first, a page at a time."""
    request = repository.get_request_or_raise(session, request_id)
    rows, total = repository.list_approvals(session, request.id, params)
    return page_of(ApprovalRead, rows, total, params)


@work_logs_router.get("")
def list_work_logs(
    session: SessionDep,
    settings: SettingsDep,
    _: WorkLogReader,
    params: PageQuery,
    worked: DateRangeQuery,
    request_id: RecordId | None = None,
    engineer_id: RecordId | None = None,
) -> Page[WorkLogRead]:
    """Work logs in the caller's scope (engineers: their own; project managers: their
    projects'), a page at a time, latest work date first. `from`/`to` filter on the work
    date, both included."""
    date_from, date_to = worked.days(settings.company.calendar.timezone)
    rows, total = repository.list_work_logs(
        session,
        params,
        request_id=request_id,
        engineer_id=engineer_id,
        date_from=date_from,
        date_to=date_to,
    )
    return page_of(WorkLogRead, rows, total, params)


@work_logs_router.get("/{work_log_id}")
def read_work_log(session: SessionDep, _: WorkLogReader, work_log_id: RecordId) -> WorkLogRead:
    """One work log in the caller's scope; 404 when it does not exist or is outside your scope."""
    return WorkLogRead.model_validate(repository.get_work_log_or_raise(session, work_log_id))


@work_logs_router.post("", status_code=status.HTTP_201_CREATED)
def create_work_log(
    session: SessionDep, settings: SettingsDep, principal: WorkLogCreator, body: WorkLogCreate
) -> WorkLogRead:
    """Log hours on a request (engineers: their own). Refused with the rule named: over 24 hours
    per engineer per day, a request not open for work, or a date in the future."""
    log = work_logs.create_work_log(
        session=session, settings=settings, principal=principal, data=body
    )
    return WorkLogRead.model_validate(log)


@work_logs_router.patch("/{work_log_id}")
def update_work_log(
    session: SessionDep,
    settings: SettingsDep,
    _: WorkLogEditor,
    work_log_id: RecordId,
    body: WorkLogUpdate,
) -> WorkLogRead:
    """Correct a work log's date, hours or description; the same rules as logging apply (24 hours
    a day, open request, no future date)."""
    log = repository.get_work_log_or_raise(session, work_log_id)
    updated = work_logs.update_work_log(session=session, settings=settings, log=log, data=body)
    return WorkLogRead.model_validate(updated)
