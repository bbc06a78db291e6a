"""Service requests: creation, edits and every workflow action, with the SLA clock kept exact.

Services flush; the caller's unit of work commits. `now` is a parameter so the SLA
arithmetic can be exercised at any instant; handlers pass nothing and get the wall clock.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from oversight.auth.models import User
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.auth.principal import Principal
from oversight.config import Settings
from oversight.customers.repository import get_customer_or_raise
from oversight.db.intent import note_intent
from oversight.db.sequences import next_value
from oversight.errors import Conflict, InvalidInput, referenced_by
from oversight.kit.clock import utcnow
from oversight.projects.models import Project, ProjectStatus
from oversight.projects.repository import get_project_or_raise
from oversight.service_requests import repository, sla
from oversight.service_requests.models import (
    ApprovalDecision,
    CompletionApproval,
    RequestStatus,
    ServiceRequest,
)
from oversight.service_requests.schemas import RequestCreate, RequestRead, RequestUpdate
from oversight.service_requests.workflow import (
    OPEN_STATUSES,
    RequestAction,
    allowed_actions,
    next_status,
)
from oversight.vocabulary import Role

NUMBER_SEQUENCE = "service_request"


def is_overdue(request: ServiceRequest, now: datetime) -> bool:
    if request.status not in OPEN_STATUSES:
        return False
    clock = request.sla_paused_at or now
    return clock > request.resolution_due_at


def actions_for(principal: Principal, request: ServiceRequest) -> list[RequestAction]:
    """What `principal` may do to `request` now: the actions its state allows that the
    permission table grants the principal's role (the request is in their scope, or they
    would not hold it)."""
    return [
        action
        for action in allowed_actions(request.status)
        if is_allowed(principal.role, Resource.requests, Action(action.value))
    ]


# The fields of the API view read straight from the row (the others are derived below).
_COPIED_FIELDS = tuple(
    field for field in RequestRead.model_fields if hasattr(ServiceRequest, field)
)


def to_read(
    request: ServiceRequest, principal: Principal, now: datetime | None = None
) -> RequestRead:
    """The API view of a request for `principal`: its derived SLA state and the actions
    this caller may take on it now (`actions_for`)."""
    now = now or utcnow()
    return RequestRead.model_validate(
        {
            **{field: getattr(request, field) for field in _COPIED_FIELDS},
            "sla_paused": request.sla_paused_at is not None,
            "is_overdue": is_overdue(request, now),
            "allowed_actions": actions_for(principal, request),
        }
    )


def _visible_project(session: Session, project_id: int) -> Project:
    with referenced_by("project_id"):
        return get_project_or_raise(session, project_id)


def _resolve_customer(session: Session, principal: Principal, data: RequestCreate) -> int:
    if principal.is_client:
        if data.customer_id is not None:
            raise InvalidInput(
                "customer_id is set from your account; do not send it",
                details={"field": "customer_id"},
            )
        assert principal.customer_id is not None
        return principal.customer_id
    if data.customer_id is None:
        if data.project_id is None:
            raise InvalidInput(
                "customer_id is required (or a project_id to take it from)",
                details={"field": "customer_id"},
            )
        return _visible_project(session, data.project_id).customer_id
    with referenced_by("customer_id"):
        get_customer_or_raise(session, data.customer_id)
    return data.customer_id


def _check_project_customer(session: Session, project_id: int, customer_id: int) -> None:
    """The project takes the request: visible, open (not completed or cancelled: 409),
    and the request's customer's."""
    project = _visible_project(session, project_id)
    if project.status in {ProjectStatus.completed, ProjectStatus.cancelled}:
        raise Conflict(
            f"project {project.code} is {project.status.value}; it takes no new requests",
            details={"field": "project_id", "status": project.status.value},
        )
    if project.customer_id != customer_id:
        raise InvalidInput(
            f"project {project.code} belongs to another customer",
            details={"field": "project_id"},
        )


def create_request(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    data: RequestCreate,
    now: datetime | None = None,
) -> ServiceRequest:
    """A new request with its SLA due dates computed from the priority policy."""
    now = now or utcnow()
    customer_id = _resolve_customer(session, principal, data)
    if data.project_id is not None:
        _check_project_customer(session, data.project_id, customer_id)
    due = sla.due_dates(settings, data.priority, now)
    request = ServiceRequest(
        number=f"SR-{next_value(session, NUMBER_SEQUENCE):06d}",
        customer_id=customer_id,
        project_id=data.project_id,
        title=data.title,
        description=data.description,
        priority=data.priority,
        status=RequestStatus.new,
        created_at=now,
        response_due_at=due.response_due_at,
        resolution_due_at=due.resolution_due_at,
        revision_count=0,
        created_by_id=principal.user_id,
    )
    session.add(request)
    session.flush()
    return request


def update_request(
    *, session: Session, settings: Settings, request: ServiceRequest, data: RequestUpdate
) -> ServiceRequest:
    """Edit title, description, project or priority. A new priority re-derives the due dates,
    which is only allowed before work has started (afterwards the SLA is a commitment)."""
    changes = data.provided()
    if request.status not in OPEN_STATUSES:
        raise Conflict(f"request {request.number} is {request.status.value} and cannot be edited")
    if changes.get("project_id") not in (None, request.project_id):
        _check_project_customer(session, changes["project_id"], request.customer_id)
    new_priority = changes.pop("priority", None)
    if new_priority is not None and new_priority != request.priority:
        if request.status not in {RequestStatus.new, RequestStatus.assigned}:
            raise Conflict(
                f"the priority of request {request.number} cannot change once work has started "
                f"(it is {request.status.value})"
            )
        due = sla.due_dates(settings, new_priority, request.created_at)
        request.priority = new_priority
        request.response_due_at = due.response_due_at
        request.resolution_due_at = due.resolution_due_at
    for field, value in changes.items():
        setattr(request, field, "" if field == "description" and value is None else value)
    session.flush()
    return request


def _move(
    session: Session, request: ServiceRequest, action: RequestAction, reason: str | None = None
) -> None:
    """Apply `action` to the state and tell the audit trail which action this change is."""
    request.status = next_status(request.number, request.status, action)
    note_intent(session, request, f"service_request.{action.value}", reason)


def _resume_clock(settings: Settings, request: ServiceRequest, now: datetime) -> None:
    if request.sla_paused_at is not None:
        request.resolution_due_at = sla.resume_after_pause(
            settings, request.resolution_due_at, request.sla_paused_at, now
        )
        request.sla_paused_at = None


def _record_approval(
    session: Session,
    request: ServiceRequest,
    principal: Principal,
    decision: ApprovalDecision,
    comment: str | None,
    now: datetime,
) -> None:
    session.add(
        CompletionApproval(
            request_id=request.id,
            decision=decision,
            comment=comment or "",
            decided_by_id=principal.user_id,
            decided_at=now,
        )
    )


def assign(*, session: Session, request: ServiceRequest, engineer_id: int) -> ServiceRequest:
    engineer = session.get(User, engineer_id)
    if engineer is None or engineer.role is not Role.engineer or not engineer.is_active:
        raise InvalidInput(
            f"user {engineer_id} is not an active engineer", details={"field": "engineer_id"}
        )
    _move(session, request, RequestAction.assign)
    request.assigned_engineer_id = engineer.id
    session.flush()
    return request


def assign_many(
    *, session: Session, request_ids: list[int], engineer_id: int
) -> list[ServiceRequest]:
    """Assign every listed request to one engineer, or none of them.

    Each id is looked up in the caller's scope first, so one record outside it fails the
    whole batch with the 404 a missing record gets (and its out-of-scope audit event), before
    anything changes; a request whose state does not allow assigning fails it with 409. The
    caller's unit of work rolls back whatever a failing batch had already changed.
    """
    requests = [repository.get_request_or_raise(session, n) for n in request_ids]
    return [assign(session=session, request=r, engineer_id=engineer_id) for r in requests]


def start(
    *, session: Session, request: ServiceRequest, now: datetime | None = None
) -> ServiceRequest:
    """Work begins; the first start is the request's first response."""
    now = now or utcnow()
    _move(session, request, RequestAction.start)
    if request.first_response_at is None:
        request.first_response_at = now
    session.flush()
    return request


def complete(
    *, session: Session, request: ServiceRequest, now: datetime | None = None
) -> ServiceRequest:
    """The engineer hands the work to the client; the SLA clock pauses until they answer."""
    now = now or utcnow()
    _move(session, request, RequestAction.complete)
    request.completed_at = now
    request.sla_paused_at = now
    session.flush()
    return request


def approve(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    request: ServiceRequest,
    comment: str | None = None,
    now: datetime | None = None,
) -> ServiceRequest:
    now = now or utcnow()
    _move(session, request, RequestAction.approve, comment)
    _resume_clock(settings, request, now)
    request.closed_at = now
    _record_approval(session, request, principal, ApprovalDecision.approved, comment, now)
    session.flush()
    return request


def reject(
    *,
    session: Session,
    settings: Settings,
    principal: Principal,
    request: ServiceRequest,
    comment: str,
    now: datetime | None = None,
) -> ServiceRequest:
    """The client sends the work back: a revision, and the SLA clock runs again."""
    now = now or utcnow()
    _move(session, request, RequestAction.reject, comment)
    _resume_clock(settings, request, now)
    request.completed_at = None
    request.revision_count += 1
    _record_approval(session, request, principal, ApprovalDecision.rejected, comment, now)
    session.flush()
    return request


def close(
    *, session: Session, settings: Settings, request: ServiceRequest, now: datetime | None = None
) -> ServiceRequest:
    """Staff close completed work on the client's behalf (e.g. approval given by phone)."""
    now = now or utcnow()
    _move(session, request, RequestAction.close)
    _resume_clock(settings, request, now)
    request.closed_at = now
    session.flush()
    return request


def reopen(*, session: Session, request: ServiceRequest) -> ServiceRequest:
    """A closed request comes back: a revision; its original due date still stands."""
    _move(session, request, RequestAction.reopen)
    request.closed_at = None
    request.completed_at = None
    request.revision_count += 1
    session.flush()
    return request


def cancel(
    *, session: Session, settings: Settings, request: ServiceRequest, now: datetime | None = None
) -> ServiceRequest:
    now = now or utcnow()
    _move(session, request, RequestAction.cancel)
    _resume_clock(settings, request, now)
    request.cancelled_at = now
    session.flush()
    return request
