"""Money KPIs: revenue (accrual and cash), overdue invoices, project profitability.

Amounts are summed in the database as integer cents (`ROUND(amount * 100)`: SQLite keeps
NUMERIC as binary floating point, so summing the raw column there could drift by a cent) and
turned back into `Decimal` here; a cost of logged hours is `hours x cost_rate` per work log,
summed exactly in ten-thousandths and rounded once, half-up, to two places.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    any_,
    bindparam,
    case,
    cast,
    extract,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import InstrumentedAttribute, Session

from oversight.analytics import schemas as s
from oversight.analytics.params import KpiParams, ratio_percent, two_places
from oversight.auth.models import User
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.auth.scope import bound_principal
from oversight.customers.models import Customer
from oversight.invoices.models import Invoice, InvoiceStatus
from oversight.invoices.repository import overdue_clause
from oversight.projects.models import Project, ProjectCost
from oversight.service_requests.models import ServiceRequest as SR  # noqa: N817
from oversight.service_requests.models import WorkLog

BILLED = (InvoiceStatus.issued, InvoiceStatus.paid)
CENTS = Decimal(100)


def cents(column: Any) -> ColumnElement[int]:
    """A NUMERIC(…, 2) column as an exact integer number of hundredths."""
    return cast(func.round(column * 100), BigInteger)


def _sum(expression: ColumnElement[Any]) -> ColumnElement[int]:
    return func.coalesce(func.sum(expression), 0)


def _from_cents(value: Any) -> Decimal:
    return two_places(Decimal(int(value)) / CENTS)


def invoice_filters(params: KpiParams) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if params.project_id is not None:
        clauses.append(Invoice.project_id == params.project_id)
    if params.customer_id is not None:
        clauses.append(Invoice.customer_id == params.customer_id)
    return clauses


def revenue(session: Session, params: KpiParams, currency: str) -> s.Revenue:
    """Accrual: invoices issued in the period and still issued or paid (a cancelled invoice
    earns nothing). Cash: invoices paid in the period."""
    period = params.period
    issued = (
        Invoice.status.in_(BILLED)
        & (Invoice.issued_on >= period.start)
        & (Invoice.issued_on <= period.end)
    )
    paid = (
        (Invoice.status == InvoiceStatus.paid)
        & (Invoice.paid_on >= period.start)
        & (Invoice.paid_on <= period.end)
    )
    row = session.execute(
        select(
            _sum(case((issued, 1), else_=0)),
            _sum(case((issued, cents(Invoice.amount)), else_=0)),
            _sum(case((paid, 1), else_=0)),
            _sum(case((paid, cents(Invoice.amount)), else_=0)),
        )
        .select_from(Invoice)
        .where(
            (issued | paid),
            *invoice_filters(params),
        )
    ).one()
    return s.Revenue(
        period=params.period_read,
        currency=currency,
        issued_count=int(row[0]),
        issued=_from_cents(row[1]),
        paid_count=int(row[2]),
        paid=_from_cents(row[3]),
    )


def overdue_invoices(session: Session, params: KpiParams, currency: str) -> s.OverdueInvoices:
    """Issued, unpaid invoices whose due date is before today (company-local), per client."""
    rows = session.execute(
        select(Customer.id, Customer.name, func.count(Invoice.id), _sum(cents(Invoice.amount)))
        .select_from(Invoice)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(overdue_clause(params.today), *invoice_filters(params))
        .group_by(Customer.id, Customer.name)
    ).all()
    clients = sorted(
        (
            s.OverdueClient(customer_id=cid, name=name, count=int(n), total=_from_cents(total))
            for cid, name, n, total in rows
        ),
        key=lambda client: (-client.total, client.name),
    )
    return s.OverdueInvoices(
        as_of=params.today,
        currency=currency,
        count=sum(client.count for client in clients),
        total=two_places(sum((client.total for client in clients), Decimal(0))),
        clients=clients,
    )


def revenue_by_month(session: Session, params: KpiParams, currency: str) -> s.RevenueByMonth:
    """Per calendar month of the period: amounts issued (accrual) and paid (cash)."""
    period = params.period
    months: dict[str, list[Decimal]] = {}
    for day in period.dates():
        months.setdefault(f"{day.year:04d}-{day.month:02d}", [Decimal(0), Decimal(0)])
    sources: tuple[tuple[Any, ColumnElement[bool], int], ...] = (
        (Invoice.issued_on, Invoice.status.in_(BILLED), 0),
        (Invoice.paid_on, Invoice.status == InvoiceStatus.paid, 1),
    )
    for column, status, slot in sources:
        year, month = extract("year", column), extract("month", column)
        rows = session.execute(
            select(year, month, _sum(cents(Invoice.amount)))
            .select_from(Invoice)
            .where(status, column >= period.start, column <= period.end)
            .where(*invoice_filters(params))
            .group_by(year, month)
        ).all()
        for y, m, total in rows:
            months[f"{int(y):04d}-{int(m):02d}"][slot] = _from_cents(total)
    return s.RevenueByMonth(
        period=params.period_read,
        currency=currency,
        months=[
            s.MonthRevenue(month=month, issued=issued, paid=paid)
            for month, (issued, paid) in months.items()
        ],
    )


LABOUR_WITHHELD = (
    "labour cost and margin are shown only to roles that may read engineers' cost rates"
)


def may_read_cost_rates(session: Session) -> bool:
    """True when the session's principal may read users' cost rates (the `users` resource:
    admin and director), or has none (CLI, jobs).

    The aggregation rule of labour cost (issue 12, finding 9): labour is hours x rate, and
    hours are readable per engineer, day and project by every role that reads work logs; any
    labour figure over a period the caller chooses (one day, one engineer's project) or any
    figure derived from it (margin, margin %, the order by margin, a count of projects at a
    loss, against invoices and costs the caller knows or can add) gives the rate away. So no
    aggregation level is safe and labour, margin and everything derived from them are
    withheld, whole, from the roles that may not read the rates themselves.
    """
    principal = bound_principal(session)
    return principal is None or is_allowed(principal.role, Resource.users, Action.read)


def _between(column: Any, params: KpiParams) -> list[ColumnElement[bool]]:
    """`column` within the period, or up to its end when `params.to_date`."""
    upper = column <= params.period.end
    return [upper] if params.to_date else [column >= params.period.start, upper]


def profitability(session: Session, params: KpiParams, currency: str) -> s.Profitability:
    """Per project with any invoice, cost or logged hour in the period (or up to its end,
    `to_date`): invoiced (issued or paid, by issue date) - (project costs by date incurred +
    logged hours x the engineer's cost rate by work date; an engineer without a cost rate
    costs nothing). Callers who may not read cost rates get labour, margin and margin % as
    null, `withheld` saying why, and the projects in code order (`may_read_cost_rates`)."""
    rates = may_read_cost_rates(session)
    project_filters: list[ColumnElement[bool]] = []
    if params.project_id is not None:
        project_filters.append(Project.id == params.project_id)
    if params.customer_id is not None:
        project_filters.append(Project.customer_id == params.customer_id)

    invoiced = _pairs(
        session.execute(
            select(Invoice.project_id, _sum(cents(Invoice.amount)))
            .where(
                Invoice.project_id.is_not(None),
                Invoice.status.in_(BILLED),
                *_between(Invoice.issued_on, params),
                *invoice_filters(params),
            )
            .group_by(Invoice.project_id)
        ).all()
    )
    cost_filters = _between(ProjectCost.incurred_on, params)
    if params.project_id is not None:
        cost_filters.append(ProjectCost.project_id == params.project_id)
    if params.customer_id is not None:
        cost_filters.append(
            ProjectCost.project_id.in_(
                select(Project.id).where(Project.customer_id == params.customer_id)
            )
        )
    costs = _pairs(
        session.execute(
            select(ProjectCost.project_id, _sum(cents(ProjectCost.amount)))
            .where(*cost_filters)
            .group_by(ProjectCost.project_id)
        ).all()
    )
    labour = _labour(session, params, rates)
    withheld = None if rates else LABOUR_WITHHELD
    empty = s.Profitability(
        period=params.period_read,
        to_date=params.to_date,
        currency=currency,
        withheld=withheld,
        projects=[],
    )
    ids = set(invoiced) | set(costs) | set(labour)
    if not ids:
        return empty
    projects = session.execute(
        select(Project.id, Project.code, Project.name, Customer.name)
        .join(Customer, Customer.id == Project.customer_id)
        .where(_one_of(session, Project.id, ids), *project_filters)
    ).all()
    result = []
    for pid, code, name, customer in projects:
        billed = _from_cents(invoiced.get(pid, 0))
        spent = _from_cents(costs.get(pid, 0))
        margin = hours_cost = percent = None
        if rates:
            hours_cost = two_places(Decimal(int(labour.get(pid, 0))) / (CENTS * CENTS))
            margin = billed - spent - hours_cost
            percent = ratio_percent(margin, billed)
        result.append(
            s.ProjectMargin(
                project_id=pid,
                code=code,
                name=name,
                customer=customer,
                invoiced=billed,
                costs=spent,
                labour=hours_cost,
                margin=margin,
                margin_percent=percent,
                withheld=withheld,
            )
        )
    result.sort(key=lambda project: (project.margin or Decimal(0), project.code))
    return empty.model_copy(update={"projects": result})


def _labour(session: Session, params: KpiParams, rates: bool) -> dict[int, int]:
    """Per project: the sum of `hours x cost rate` of its work logs, in ten-thousandths
    (`rates`), or a count of its work logs (only which projects have any is used then).

    For a period, the requests are read only between the lowest and the highest request key
    the period's work logs name (an exact bound: the join needs no other row), from the
    index that holds each request's project and customer; the bounds are read first, so the
    planner sizes the join by them. A month thus reads that month's logs and about that
    month's requests, whatever the history's length. Up to a date (`to_date`), the history
    is read anyway: no bound.
    """
    logs = _between(WorkLog.work_date, params)
    request_filters: list[ColumnElement[bool]] = [SR.project_id.is_not(None)]
    if params.project_id is not None:
        request_filters.append(SR.project_id == params.project_id)
    if params.customer_id is not None:
        request_filters.append(SR.customer_id == params.customer_id)
    if not params.to_date:
        # `+ 0`: an aggregate over the period's logs (the work-date index), not a walk of
        # the request-key index in key order looking for the period's first log
        key = WorkLog.request_id + 0
        lowest, highest = session.execute(select(func.min(key), func.max(key)).where(*logs)).one()
        if lowest is None:
            return {}
        request_filters += [SR.id >= lowest, SR.id <= highest]
    value = (
        _sum(cents(WorkLog.hours) * func.coalesce(cents(User.cost_rate), 0))
        if rates
        else func.count(WorkLog.id)
    )
    query = select(SR.project_id, value).select_from(WorkLog)
    query = query.join(SR, SR.id == WorkLog.request_id)
    if rates:
        query = query.join(User, User.id == WorkLog.engineer_id)
    query = query.where(*logs, *request_filters)
    return _pairs(session.execute(query.group_by(SR.project_id)).all())


def _one_of(
    session: Session, column: InstrumentedAttribute[int], ids: set[int]
) -> ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL as one array parameter (`= ANY(:ids)`) rather than
    one parameter per id: a month can name thousands of projects."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("ids", sorted(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def _pairs(rows: Any) -> dict[Any, Any]:
    return {key: value for key, value in rows}  # noqa: C416 - rows are Row objects
