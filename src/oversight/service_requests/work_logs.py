"""Work logs: hours an engineer spent on a request. Services flush; callers commit."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
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

# Closed and cancelled requests take no hours (a reopened request is in progress again).
LOGGABLE = frozenset(
    {RequestStatus.assigned, RequestStatus.in_progress, RequestStatus.awaiting_approval}
)
MAX_HOURS_PER_DAY = Decimal(24)


def _check_open(request: ServiceRequest) -> None:
    if request.status not in LOGGABLE:
        raise Conflict(
            f"cannot log work on request {request.number}: it is {request.status.value} "
            "(rule: work is logged on assigned, in-progress or awaiting-approval requests; "
            "reopen a closed request first)",
            details={"rule": "request_open", "status": request.status.value},
        )


def _hours(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _check_day_total(
    session: Session, engineer_id: int, work_date: date, hours: Decimal, replacing: int | None
) -> None:
    """At most 24 hours per engineer per day over all their logs (`replacing`: the log being
    corrected, whose old hours do not count)."""
    statement = select(func.coalesce(func.sum(WorkLog.hours), 0)).where(
        WorkLog.engineer_id == engineer_id, WorkLog.work_date == work_date
    )
    if replacing is not None:
        statement = statement.where(WorkLog.id != replacing)
    logged = Decimal(session.scalar(statement) or 0)
    if logged + hours > MAX_HOURS_PER_DAY:
        raise Conflict(
            f"engineer {engineer_id} already has {_hours(logged)} h logged on {work_date}; "
            f"{_hours(hours)} h more would exceed the rule of at most {MAX_HOURS_PER_DAY:g} hours "
            "per engineer per day",
            details={"rule": "hours_per_day", "logged": str(logged), "field": "hours"},
        )


def _check_date(settings: Settings, request: ServiceRequest, work_date: date) -> None:
    timezone = settings.company.calendar.timezone
    today = local_today(timezone)
    if work_date > today:
        raise InvalidInput(
            f"work_date {work_date} is in the future (rule: work is logged on or after the "
            f"day it was done; today is {today})",
            details={"field": "work_date", "rule": "not_in_future"},
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
    _check_open(request)
    _check_date(settings, request, data.work_date)
    engineer_id = _engineer_for(session, principal, data)
    _check_day_total(session, engineer_id, data.work_date, data.hours, replacing=None)
    log = WorkLog(
        request_id=request.id,
        engineer_id=engineer_id,
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
    """Correct a log; which logs a caller may touch is the row scope's business. The
    request must still take hours, and the day's total stays within 24 h."""
    changes = data.provided()
    request = get_request_or_raise(session, log.request_id)
    _check_open(request)
    if "work_date" in changes:
        _check_date(settings, request, changes["work_date"])
    if "work_date" in changes or "hours" in changes:
        _check_day_total(
            session,
            log.engineer_id,
            changes.get("work_date", log.work_date),
            changes.get("hours", log.hours),
            replacing=log.id,
        )
    for field, value in changes.items():
        setattr(log, field, "" if field == "description" and value is None else value)
    session.flush()
    return log
