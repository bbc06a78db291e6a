"""Work logs: hours an engineer spent on a request. Services flush; callers commit."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from oversight.auth.models import User
from oversight.auth.principal import Principal
from oversight.config import Settings
from oversight.errors import Conflict, InvalidInput, referenced_by
from oversight.kit.clock import local_today
from oversight.service_requests.models import RequestStatus, ServiceRequest, WorkLog
from oversight.service_requests.repository import get_request_or_raise
from oversight.service_requests.schemas import WorkLogCreate, WorkLogUpdate
from oversight.vocabulary import Role

LOGGABLE = frozenset(
    {
        RequestStatus.assigned,
        RequestStatus.in_progress,
        RequestStatus.awaiting_approval,
        RequestStatus.closed,
    }
)


def _check_date(settings: Settings, request: ServiceRequest, work_date: date) -> None:
    timezone = settings.company.calendar.timezone
    today = local_today(timezone)
    if work_date > today:
        raise InvalidInput(
            f"work_date {work_date} is in the future", details={"field": "work_date"}
        )
    created_on = request.created_at.astimezone(timezone).date()
    if work_date < created_on:
        raise InvalidInput(
            f"work_date {work_date} is before the request was created ({created_on})",
            details={"field": "work_date"},
        )


def _engineer_for(session: Session, principal: Principal, data: WorkLogCreate) -> int:
    if principal.role is Role.engineer:
        if data.engineer_id not in (None, principal.user_id):
            raise InvalidInput(
                "engineers log their own hours; do not send engineer_id",
                details={"field": "engineer_id"},
            )
        return principal.user_id
    if data.engineer_id is None:
        raise InvalidInput("engineer_id is required", details={"field": "engineer_id"})
    engineer = session.get(User, data.engineer_id)
    if engineer is None or engineer.role is not Role.engineer:
        raise InvalidInput(
            f"user {data.engineer_id} is not an engineer", details={"field": "engineer_id"}
        )
    return engineer.id


def create_work_log(
    *, session: Session, settings: Settings, principal: Principal, data: WorkLogCreate
) -> WorkLog:
    with referenced_by("request_id"):
        request = get_request_or_raise(session, data.request_id)
    if request.status not in LOGGABLE:
        raise Conflict(f"cannot log work on request {request.number}: it is {request.status.value}")
    _check_date(settings, request, data.work_date)
    log = WorkLog(
        request_id=request.id,
        engineer_id=_engineer_for(session, principal, data),
        work_date=data.work_date,
        hours=data.hours,
        description=data.description,
    )
    session.add(log)
    session.flush()
    return log


def update_work_log(
    *, session: Session, settings: Settings, log: WorkLog, data: WorkLogUpdate
) -> WorkLog:
    """Correct a log; which logs a caller may touch is the row scope's business."""
    changes = data.provided()
    if "work_date" in changes:
        request = get_request_or_raise(session, log.request_id)
        _check_date(settings, request, changes["work_date"])
    for field, value in changes.items():
        setattr(log, field, "" if field == "description" and value is None else value)
    session.flush()
    return log
