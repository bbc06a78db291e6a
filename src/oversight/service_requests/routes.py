from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from oversight.auth.dependencies import SessionDep, SettingsDep, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.kit.clock import utcnow
from oversight.kit.ids import RecordId
from oversight.kit.pagination import Page, PageQuery, page_of
from oversight.kit.routing import OffloadedRoute
from oversight.kit.schemas import Day, Instant
from oversight.service_requests import repository, work_logs
from oversight.service_requests import service as request_service
from oversight.service_requests.models import RequestStatus
from oversight.service_requests.repository import RequestFilters
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
from oversight.vocabulary import Priority

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


@router.get("")
def list_requests(
    session: SessionDep,
    principal: RequestReader,
    params: PageQuery,
    status_: Annotated[list[RequestStatus] | None, Query(alias="status")] = None,
    priority: Annotated[list[Priority] | None, Query()] = None,
    customer_id: RecordId | None = None,
    project_id: RecordId | None = None,
    assigned_engineer_id: RecordId | None = None,
    created_from: Instant | None = None,
    created_to: Instant | None = None,
    overdue: bool | None = None,
    unassigned: Annotated[
        bool | None,
        Query(
            description="true: the unassigned inbox (open requests with no project or no "
            "engineer); false: every other request"
        ),
    ] = None,
    search: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[RequestRead]:
    """Requests in the caller's scope; `status` and `priority` may repeat. Dispatchers
    (project managers, `OVERSIGHT_DESK__DISPATCHER_ROLES`) also see the unassigned inbox."""
    filters = RequestFilters(
        status=status_ or (),
        priority=priority or (),
        customer_id=customer_id,
        project_id=project_id,
        assigned_engineer_id=assigned_engineer_id,
        created_from=created_from,
        created_to=created_to,
        overdue=overdue,
        unassigned=unassigned,
        search=search,
    )
    now = utcnow()
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
    return request_service.to_read(repository.get_request_or_raise(session, request_id), principal)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_request(
    session: SessionDep, settings: SettingsDep, principal: RequestCreator, body: RequestCreate
) -> RequestRead:
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
    request = repository.get_request_or_raise(session, request_id)
    updated = request_service.update_request(
        session=session, settings=settings, request=request, data=body
    )
    return request_service.to_read(updated, principal)


@router.post("/{request_id}/assign")
def assign_request(
    session: SessionDep, principal: RequestAssigner, request_id: RecordId, body: AssignBody
) -> RequestRead:
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
    request = repository.get_request_or_raise(session, request_id)
    return request_service.to_read(
        request_service.start(session=session, request=request), principal
    )


@router.post("/{request_id}/complete")
def complete_request(
    session: SessionDep, principal: RequestCompleter, request_id: RecordId
) -> RequestRead:
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
    request = repository.get_request_or_raise(session, request_id)
    return request_service.to_read(
        request_service.close(session=session, settings=settings, request=request), principal
    )


@router.post("/{request_id}/reopen")
def reopen_request(
    session: SessionDep, principal: RequestReopener, request_id: RecordId
) -> RequestRead:
    request = repository.get_request_or_raise(session, request_id)
    return request_service.to_read(
        request_service.reopen(session=session, request=request), principal
    )


@router.post("/{request_id}/cancel")
def cancel_request(
    session: SessionDep, settings: SettingsDep, principal: RequestCanceller, request_id: RecordId
) -> RequestRead:
    request = repository.get_request_or_raise(session, request_id)
    return request_service.to_read(
        request_service.cancel(session=session, settings=settings, request=request), principal
    )


@router.get("/{request_id}/approvals")
def list_request_approvals(
    session: SessionDep, principal: RequestReader, request_id: RecordId
) -> list[ApprovalRead]:
    request = repository.get_request_or_raise(session, request_id)
    return [ApprovalRead.model_validate(a) for a in repository.list_approvals(session, request.id)]


@work_logs_router.get("")
def list_work_logs(
    session: SessionDep,
    _: WorkLogReader,
    params: PageQuery,
    request_id: RecordId | None = None,
    engineer_id: RecordId | None = None,
    date_from: Annotated[Day | None, Query(alias="from")] = None,
    date_to: Annotated[Day | None, Query(alias="to")] = None,
) -> Page[WorkLogRead]:
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
    return WorkLogRead.model_validate(repository.get_work_log_or_raise(session, work_log_id))


@work_logs_router.post("", status_code=status.HTTP_201_CREATED)
def create_work_log(
    session: SessionDep, settings: SettingsDep, principal: WorkLogCreator, body: WorkLogCreate
) -> WorkLogRead:
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
    log = repository.get_work_log_or_raise(session, work_log_id)
    updated = work_logs.update_work_log(session=session, settings=settings, log=log, data=body)
    return WorkLogRead.model_validate(updated)
