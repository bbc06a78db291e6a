"""Engineer utilization: requests assigned and closed, hours logged against capacity.

No assignment timestamp is stored, so "assigned in the period" counts the requests assigned
to the engineer that were created in the period. Capacity is `weekly_capacity_hours x
days / 7` (a 31-day month holds 31/7 weeks); utilization is hours logged (by work date) over
capacity, null for an engineer without capacity.

Row scope decides which rows a caller sees (requests, work logs); for callers whose scope is
restricted, the engineers listed are those that appear in that visible data (plus the caller
themself) rather than every engineer of the company.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from oversight.analytics import schemas as s
from oversight.analytics.desk import closed_in_period, request_filters
from oversight.analytics.finance import cents
from oversight.analytics.params import KpiParams, ratio_percent, two_places
from oversight.auth.models import User
from oversight.auth.scope import visible_engineers
from oversight.service_requests.models import ServiceRequest as SR  # noqa: N817
from oversight.service_requests.models import WorkLog


def utilization(session: Session, params: KpiParams) -> s.Utilization:
    start, end = params.utc_bounds
    period = params.period
    engineer = SR.assigned_engineer_id
    assigned = _pairs(
        session.execute(
            select(engineer, func.count())
            .where(engineer.is_not(None), SR.created_at >= start, SR.created_at < end)
            .where(*request_filters(params))
            .group_by(engineer)
        ).all()
    )
    closed = _pairs(
        session.execute(
            select(engineer, func.count())
            .where(engineer.is_not(None), *closed_in_period(params))
            .group_by(engineer)
        ).all()
    )
    log_filters: list[ColumnElement[bool]] = [
        WorkLog.work_date >= period.start,
        WorkLog.work_date <= period.end,
    ]
    if params.engineer_id is not None:
        log_filters.append(WorkLog.engineer_id == params.engineer_id)
    hours_query = select(WorkLog.engineer_id, func.sum(cents(WorkLog.hours))).where(*log_filters)
    if params.project_id is not None or params.customer_id is not None:
        hours_query = hours_query.join(SR, SR.id == WorkLog.request_id)
        if params.project_id is not None:
            hours_query = hours_query.where(SR.project_id == params.project_id)
        if params.customer_id is not None:
            hours_query = hours_query.where(SR.customer_id == params.customer_id)
    hours = _pairs(session.execute(hours_query.group_by(WorkLog.engineer_id)))

    active = set(assigned) | set(closed) | set(hours)
    user_filters: list[ColumnElement[bool]] = [visible_engineers(session, active)]
    if params.engineer_id is not None:
        user_filters.append(User.id == params.engineer_id)
    # Names are encrypted: decrypted here, on the few engineers of the report.
    users = [
        (user.id, user.full_name or "", user.weekly_capacity_hours)
        for user in session.scalars(select(User).where(*user_filters))
    ]
    loads = []
    for uid, name, weekly in users:
        logged = two_places(Decimal(int(hours.get(uid, 0))) / 100)
        capacity = None if weekly is None else two_places(Decimal(weekly) * period.weeks)
        percent = (
            None
            if weekly is None or not weekly
            else ratio_percent(logged * 7, Decimal(weekly) * period.days)
        )
        loads.append(
            s.EngineerLoad(
                engineer_id=uid,
                name=name,
                assigned=int(assigned.get(uid, 0)),
                closed=int(closed.get(uid, 0)),
                hours_logged=logged,
                capacity_hours=capacity,
                utilization_percent=percent,
            )
        )
    loads.sort(key=lambda load: (load.name, load.engineer_id))
    return s.Utilization(period=params.period_read, weeks=two_places(period.weeks), engineers=loads)


def _pairs(rows: Any) -> dict[Any, Any]:
    return {key: value for key, value in rows}  # noqa: C416 - rows are Row objects
