"""Queries for requests, approvals and work logs. Row scope is applied by the session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select
from sqlalchemy.orm import Session

from oversight.auth.scope import get_visible_or_raise, inbox_clause
from oversight.db.types import UTCDateTime
from oversight.kit.pagination import PageParams, fetch_page, order_by_clauses
from oversight.service_requests.models import (
    CompletionApproval,
    RequestStatus,
    ServiceRequest,
    WorkLog,
)
from oversight.service_requests.workflow import OPEN_STATUSES
from oversight.vocabulary import Priority

SR = ServiceRequest

REQUEST_SORTABLE = {
    "number": SR.number,
    "created_at": SR.created_at,
    "priority": SR.priority,
    "status": SR.status,
    "resolution_due_at": SR.resolution_due_at,
    "response_due_at": SR.response_due_at,
    "closed_at": SR.closed_at,
    "title": SR.title,
}

WORK_LOG_SORTABLE = {"work_date": WorkLog.work_date, "hours": WorkLog.hours, "id": WorkLog.id}


@dataclass(frozen=True, slots=True)
class RequestFilters:
    status: Sequence[RequestStatus] = ()
    priority: Sequence[Priority] = ()
    customer_id: int | None = None
    project_id: int | None = None
    assigned_engineer_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    overdue: bool | None = None
    unassigned: bool | None = None
    search: str | None = None

    def created_within(self, lower: datetime | None, upper: datetime | None) -> RequestFilters:
        """These filters with the creation range [lower, upper) (`DateRange.instants`)."""
        return replace(self, created_from=lower, created_to=upper)


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """Open requests whose resolution clock ran out (a paused clock stops at the pause)."""
    clock = func.coalesce(SR.sla_paused_at, literal(now, UTCDateTime()))
    return and_(SR.status.in_(OPEN_STATUSES), clock > SR.resolution_due_at)


def get_request_or_raise(session: Session, request_id: int) -> ServiceRequest:
    return get_visible_or_raise(session, ServiceRequest, request_id, "service request")


def _filtered(filters: RequestFilters, now: datetime) -> Select[ServiceRequest]:
    statement = select(ServiceRequest)
    if filters.status:
        statement = statement.where(SR.status.in_(filters.status))
    if filters.priority:
        statement = statement.where(SR.priority.in_(filters.priority))
    if filters.customer_id is not None:
        statement = statement.where(SR.customer_id == filters.customer_id)
    if filters.project_id is not None:
        statement = statement.where(SR.project_id == filters.project_id)
    if filters.assigned_engineer_id is not None:
        statement = statement.where(SR.assigned_engineer_id == filters.assigned_engineer_id)
    if filters.created_from is not None:
        statement = statement.where(SR.created_at >= filters.created_from)
    if filters.created_to is not None:
        statement = statement.where(SR.created_at < filters.created_to)
    if filters.overdue is not None:
        clause = overdue_clause(now)
        statement = statement.where(clause if filters.overdue else ~clause)
    if filters.unassigned is not None:
        statement = statement.where(inbox_clause() if filters.unassigned else ~inbox_clause())
    if filters.search:
        statement = statement.where(
            or_(
                SR.title.icontains(filters.search, autoescape=True),
                SR.number.icontains(filters.search, autoescape=True),
            )
        )
    return statement


def list_requests(
    session: Session, params: PageParams, filters: RequestFilters, *, now: datetime
) -> tuple[Sequence[ServiceRequest], int]:
    statement = _filtered(filters, now).order_by(
        *order_by_clauses(params.sort, REQUEST_SORTABLE, "-created_at", SR.id)
    )
    return fetch_page(session, statement, params)


def export_statement(
    filters: RequestFilters, sort: str | None, *, now: datetime
) -> Select[ServiceRequest]:
    """Every request the list would show for `filters`, in the list's order (no pages)."""
    return _filtered(filters, now).order_by(
        *order_by_clauses(sort, REQUEST_SORTABLE, "-created_at", SR.id)
    )


def list_approvals(
    session: Session, request_id: int, params: PageParams
) -> tuple[Sequence[CompletionApproval], int]:
    """One page of a request's approval decisions, oldest first, and their number."""
    statement = (
        select(CompletionApproval)
        .where(CompletionApproval.request_id == request_id)
        .order_by(CompletionApproval.decided_at, CompletionApproval.id)
    )
    return fetch_page(session, statement, params)


def get_work_log_or_raise(session: Session, work_log_id: int) -> WorkLog:
    return get_visible_or_raise(session, WorkLog, work_log_id, "work log")


def list_work_logs(
    session: Session,
    params: PageParams,
    *,
    request_id: int | None = None,
    engineer_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> tuple[Sequence[WorkLog], int]:
    statement = select(WorkLog)
    if request_id is not None:
        statement = statement.where(WorkLog.request_id == request_id)
    if engineer_id is not None:
        statement = statement.where(WorkLog.engineer_id == engineer_id)
    if date_from is not None:
        statement = statement.where(WorkLog.work_date >= date_from)
    if date_to is not None:
        statement = statement.where(WorkLog.work_date <= date_to)
    statement = statement.order_by(
        *order_by_clauses(params.sort, WORK_LOG_SORTABLE, "-work_date", WorkLog.id)
    )
    return fetch_page(session, statement, params)
