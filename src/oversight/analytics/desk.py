"""Service-desk KPIs: open requests, response and close times, on-time rate, SLA risk,
throughput, approvals and revision cycles. Each is a few SQL aggregates; only the finishing
arithmetic (means, percentile interpolation, rounding) happens in Python, on integers.

Timestamps are compared exactly; durations are whole seconds (see `oversight.analytics.sql`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, case, func, select
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.orm import Session

from oversight.analytics import schemas as s
from oversight.analytics.params import KpiParams, mean, ratio_percent, two_places
from oversight.analytics.sql import day_table, epoch_seconds, seconds_between, utc_literal
from oversight.service_requests.models import (
    ApprovalDecision,
    CompletionApproval,
    RequestStatus,
)
from oversight.service_requests.models import ServiceRequest as SR  # noqa: N817
from oversight.service_requests.repository import overdue_clause
from oversight.service_requests.workflow import OPEN_STATUSES

HOUR = 3600
DAY = 86_400
AT_RISK_WINDOW = timedelta(hours=24)


def request_filters(params: KpiParams) -> list[ColumnElement[bool]]:
    """The project, customer and engineer filters, as conditions on service requests."""
    clauses: list[ColumnElement[bool]] = []
    if params.project_id is not None:
        clauses.append(SR.project_id == params.project_id)
    if params.customer_id is not None:
        clauses.append(SR.customer_id == params.customer_id)
    if params.engineer_id is not None:
        clauses.append(SR.assigned_engineer_id == params.engineer_id)
    return clauses


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# --- open requests and SLA risk: one pass over the open requests -------------------------


@dataclass(frozen=True, slots=True)
class OpenFacts:
    count: int
    created_seconds: int
    past_due: int
    due_within_24h: int


def open_facts(session: Session, params: KpiParams) -> OpenFacts:
    now = params.as_of
    past_due = overdue_clause(now)
    soon = and_(
        ~past_due,
        SR.sla_paused_at.is_(None),
        SR.resolution_due_at <= utc_literal(now + AT_RISK_WINDOW),
    )
    row = session.execute(
        select(
            func.count(SR.id),
            func.coalesce(func.sum(epoch_seconds(SR.created_at)), 0),
            _count_if(past_due),
            _count_if(soon),
        )
        .select_from(SR)
        .where(SR.status.in_(OPEN_STATUSES), *request_filters(params))
    ).one()
    return OpenFacts(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


def open_requests(facts: OpenFacts, params: KpiParams) -> s.OpenRequests:
    """Requests not closed or cancelled, now; age is `now - created_at`."""
    now_seconds = int(params.as_of.timestamp() // 1)
    age_total = facts.count * now_seconds - facts.created_seconds
    return s.OpenRequests(
        as_of=params.as_of, count=facts.count, mean_age_days=mean(age_total, facts.count, DAY)
    )


def sla_at_risk(facts: OpenFacts, params: KpiParams) -> s.SlaAtRisk:
    """Open requests past their resolution due time (a paused clock stops at the pause), and
    open, running ones due within the next 24 hours."""
    return s.SlaAtRisk(
        as_of=params.as_of, due_within_24h=facts.due_within_24h, past_due=facts.past_due
    )


# --- distributions: mean and percentiles in one statement --------------------------------


@dataclass(frozen=True, slots=True)
class Distribution:
    """Integer observations: how many, their sum, and the order statistics needed for the
    median and the 90th percentile (linear interpolation between closest ranks, as
    PostgreSQL's `percentile_cont`). `extras` are sums of further per-row integer columns."""

    count: int
    total: int
    median: Decimal | None
    p90: Decimal | None
    extras: tuple[int, ...]


def _interpolate(low: Any, high: Any, count: int, tenths: int) -> Decimal | None:
    if not count or low is None or high is None:
        return None
    fraction = Decimal((count - 1) * tenths % 10) / 10
    return Decimal(int(low)) + fraction * (Decimal(int(high)) - Decimal(int(low)))


def distribution(
    session: Session,
    value: ColumnElement[int],
    where: list[ColumnElement[bool]],
    extras: tuple[Any, ...] = (),
) -> Distribution:
    """The distribution of `value` over the requests matching `where`, in one statement.

    PostgreSQL sorts the values once into an array (`array_agg(v ORDER BY v)`) and reads the
    two ranks around each percentile from it; SQLite, which has no arrays, ranks the rows
    with window functions. Both give the same integers.
    """
    if session.get_bind().dialect.name == "postgresql":
        row = _ranked_by_array(session, value, where, extras)
    else:
        row = _ranked_by_window(session, value, where, extras)
    count = int(row[0])
    return Distribution(
        count=count,
        total=int(row[1]),
        median=_interpolate(row[2], row[3], count, 5),
        p90=_interpolate(row[4], row[5], count, 9),
        extras=tuple(int(x) for x in row[6:]),
    )


def _ranks(n: Any) -> tuple[Any, ...]:
    """Ranks floor(k) + 1 and ceil(k) + 1 for k = (n - 1) * tenths / 10, tenths 5 and 9."""
    return (
        (n - 1) * 5 // 10 + 1,
        ((n - 1) * 5 + 9) // 10 + 1,
        (n - 1) * 9 // 10 + 1,
        ((n - 1) * 9 + 9) // 10 + 1,
    )


def _ranked_by_array(
    session: Session,
    value: ColumnElement[int],
    where: list[ColumnElement[bool]],
    extras: tuple[Any, ...],
) -> Any:
    inner = (
        select(
            func.count().label("n"),
            func.coalesce(func.sum(value), 0).label("total"),
            func.array_agg(aggregate_order_by(value, value), type_=ARRAY(BigInteger)).label(
                "sorted"
            ),
            *(func.coalesce(func.sum(extra), 0).label(f"x{i}") for i, extra in enumerate(extras)),
        )
        .select_from(SR)
        .where(*where)
        .subquery()
    )
    n = inner.c.n
    return session.execute(
        select(
            n,
            inner.c.total,
            *(inner.c.sorted[rank] for rank in _ranks(n)),
            *(inner.c[f"x{i}"] for i in range(len(extras))),
        )
    ).one()


def _ranked_by_window(
    session: Session,
    value: ColumnElement[int],
    where: list[ColumnElement[bool]],
    extras: tuple[Any, ...],
) -> Any:
    ranked = (
        select(
            value.label("v"),
            func.row_number().over(order_by=value).label("rn"),
            func.count().over().label("n"),
            *(extra.label(f"x{i}") for i, extra in enumerate(extras)),
        )
        .select_from(SR)
        .where(*where)
        .subquery()
    )
    rn, n, v = ranked.c.rn, ranked.c.n, ranked.c.v

    def at(rank: ColumnElement[int]) -> ColumnElement[Any]:
        return func.max(case((rn == rank, v)))

    return session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(v), 0),
            *(at(rank) for rank in _ranks(n)),
            *(func.coalesce(func.sum(ranked.c[f"x{i}"]), 0) for i in range(len(extras))),
        )
    ).one()


def _hours(seconds: Decimal | None) -> Decimal | None:
    return None if seconds is None else two_places(seconds / HOUR)


# --- first response ----------------------------------------------------------------------


def first_response(session: Session, params: KpiParams) -> s.FirstResponse:
    """Requests first responded to in the period: mean and P90 of `first_response_at -
    created_at`, and how many responded by `response_due_at` (inclusive)."""
    start, end = params.utc_bounds
    within = case((SR.first_response_at <= SR.response_due_at, 1), else_=0)
    dist = distribution(
        session,
        seconds_between(SR.first_response_at, SR.created_at),
        [SR.first_response_at >= start, SR.first_response_at < end, *request_filters(params)],
        extras=(within,),
    )
    (within_sla,) = dist.extras
    return s.FirstResponse(
        period=params.period_read,
        responded=dist.count,
        mean_hours=mean(dist.total, dist.count, HOUR),
        p90_hours=_hours(dist.p90),
        within_sla=within_sla,
        within_sla_percent=ratio_percent(within_sla, dist.count),
    )


# --- requests closed in the period: time to close, on-time, revisions --------------------


def closed_in_period(params: KpiParams) -> list[ColumnElement[bool]]:
    start, end = params.utc_bounds
    return [
        SR.status == RequestStatus.closed,
        SR.closed_at >= start,
        SR.closed_at < end,
        *request_filters(params),
    ]


def closed_facts(session: Session, params: KpiParams) -> Distribution:
    """Durations `closed_at - created_at` of requests closed in the period; extras are the
    on-time count (`closed_at <= resolution_due_at`) and the sum of revision counts."""
    on_time = case((SR.closed_at <= SR.resolution_due_at, 1), else_=0)
    return distribution(
        session,
        seconds_between(SR.closed_at, SR.created_at),
        closed_in_period(params),
        extras=(on_time, SR.revision_count),
    )


def time_to_close(facts: Distribution, params: KpiParams) -> s.TimeToClose:
    return s.TimeToClose(
        period=params.period_read,
        closed=facts.count,
        mean_hours=mean(facts.total, facts.count, HOUR),
        median_hours=_hours(facts.median),
        p90_hours=_hours(facts.p90),
    )


def on_time(facts: Distribution, params: KpiParams) -> s.OnTime:
    on_time_count = facts.extras[0]
    return s.OnTime(
        period=params.period_read,
        closed=facts.count,
        on_time=on_time_count,
        on_time_percent=ratio_percent(on_time_count, facts.count),
    )


def revision_cycles(facts: Distribution, params: KpiParams) -> s.RevisionCycles:
    """Mean number of rejections and reopenings (`revision_count`) per closed request."""
    revisions = facts.extras[1]
    return s.RevisionCycles(
        period=params.period_read,
        closed=facts.count,
        revisions=revisions,
        mean_revisions=mean(revisions, facts.count),
    )


# --- throughput: requests closed per local day -------------------------------------------


def throughput(session: Session, params: KpiParams) -> s.Throughput:
    days = list(params.period.dates())
    table = day_table(days, params.zone)
    on_time_case = case((SR.closed_at <= SR.resolution_due_at, 1), else_=0)
    rows = session.execute(
        select(table.c.day, func.count(), func.sum(on_time_case))
        .select_from(SR)
        .join(table, and_(SR.closed_at >= table.c.day_start, SR.closed_at < table.c.day_end))
        .where(*closed_in_period(params))
        .group_by(table.c.day)
    ).all()
    by_day = {int(day): (int(closed), int(ok)) for day, closed, ok in rows}
    per_day = [
        s.DayClosed(day=day, closed=by_day.get(i, (0, 0))[0], on_time=by_day.get(i, (0, 0))[1])
        for i, day in enumerate(days)
    ]
    total = sum(day.closed for day in per_day)
    return s.Throughput(
        period=params.period_read,
        closed=total,
        per_day=two_places(Decimal(total) / len(days)),
        days=per_day,
    )


# --- approvals ---------------------------------------------------------------------------


def approvals(session: Session, params: KpiParams) -> s.Approvals:
    """Completion approvals decided in the period: approved / (approved + rejected)."""
    start, end = params.utc_bounds
    # select_from names the entity, so the row scope (with_loader_criteria) applies
    statement = (
        select(
            _count_if(CompletionApproval.decision == ApprovalDecision.approved),
            _count_if(CompletionApproval.decision == ApprovalDecision.rejected),
        )
        .select_from(CompletionApproval)
        .where(CompletionApproval.decided_at >= start, CompletionApproval.decided_at < end)
    )
    filters = request_filters(params)
    if filters:
        statement = statement.join(SR, SR.id == CompletionApproval.request_id).where(*filters)
    approved, rejected = (int(x) for x in session.execute(statement).one())
    return s.Approvals(
        period=params.period_read,
        approved=approved,
        rejected=rejected,
        approval_percent=ratio_percent(approved, approved + rejected),
    )


# --- open requests over time (charts) ----------------------------------------------------


def open_over_time(session: Session, params: KpiParams) -> s.OpenOverTime:
    """Requests open at the end of each local day of the period, up to today.

    open(t) = created before t - closed before t - cancelled before t, from the current
    timestamps: a request reopened later counts as open since its creation (the history of
    earlier closings is not kept on the request).
    """
    days = [day for day in params.period.dates() if day <= params.today]
    if not days:
        return s.OpenOverTime(period=params.period_read, days=[])
    table = day_table(days, params.zone)
    start = table.c.day_start
    first_start = params.period.utc_bounds(params.zone)[0]
    filters = request_filters(params)
    changes = [0] * len(days)
    opened_before = 0
    for column, sign in ((SR.created_at, 1), (SR.closed_at, -1), (SR.cancelled_at, -1)):
        opened_before += sign * int(
            session.scalar(select(func.count(SR.id)).where(column < first_start, *filters)) or 0
        )
        rows = session.execute(
            select(table.c.day, func.count(SR.id))
            .select_from(SR)
            .join(table, and_(column >= start, column < table.c.day_end))
            .where(*filters)
            .group_by(table.c.day)
        ).all()
        for day, count in rows:
            changes[int(day)] += sign * int(count)
    points = []
    running = opened_before
    for day, change in zip(days, changes, strict=True):
        running += change
        points.append(s.DayOpen(day=day, open=running))
    return s.OpenOverTime(period=params.period_read, days=points)
