"""Every KPI against a plain-Python reference on random data (hypothesis), and the full
summary identical on SQLite and PostgreSQL for one seeded random data set.

The reference implementations below are written from DESIGN.md's KPI table, not from the
module: they walk the generated records in Python with exact `Decimal` arithmetic and apply
the module's documented rounding (half-up, two places) once at the end.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from builders import (
    make_customer,
    make_invoice,
    make_project,
    make_project_cost,
    make_request,
    make_user,
    make_work_log,
)
from oversight.analytics import service
from oversight.config import Settings
from oversight.db.migrate import upgrade
from oversight.db.session import session_factory, unit_of_work
from oversight.invoices.models import InvoiceStatus
from oversight.service_requests.models import (
    ApprovalDecision,
    CompletionApproval,
    RequestStatus,
)
from oversight.vocabulary import Priority, Role
from oversight.wiring import open_database

D = Decimal
CENT = D("0.01")
ZONE = ZoneInfo("Europe/Moscow")  # the default company timezone (UTC+3, no DST)
START, END = date(2026, 3, 1), date(2026, 3, 31)
UTC_START = datetime(2026, 2, 28, 21, tzinfo=UTC)  # local midnight of March 1st
UTC_END = datetime(2026, 3, 31, 21, tzinfo=UTC)  # local midnight of April 1st
NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)  # 'now', to the minute
BASE = datetime(2026, 2, 20, tzinfo=UTC)
SPAN = int((datetime(2026, 4, 5, tzinfo=UTC) - BASE).total_seconds())
DAY = 86_400
OPEN = {
    RequestStatus.new,
    RequestStatus.assigned,
    RequestStatus.in_progress,
    RequestStatus.awaiting_approval,
}
EDGES = [
    int((moment - BASE).total_seconds()) + delta
    for moment in (UTC_START, UTC_END, NOW, NOW - timedelta(days=1))
    for delta in (-1, 0, 1)
]


def q2(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def at(offset: int) -> datetime:
    return BASE + timedelta(seconds=offset)


def local_date(moment: datetime) -> date:
    return moment.astimezone(ZONE).date()


# --- the data set, as plain values ------------------------------------------------------


@dataclass
class Engineer:
    capacity: Decimal | None
    cost_rate: Decimal | None


@dataclass
class Req:
    project: int  # index into projects
    engineer: int | None  # index into engineers
    priority: Priority
    status: RequestStatus
    created: datetime
    response_due: datetime
    resolution_due: datetime
    first_response: datetime | None = None
    closed: datetime | None = None
    cancelled: datetime | None = None
    paused: datetime | None = None
    revisions: int = 0


@dataclass
class Inv:
    project: int
    status: InvoiceStatus
    amount: Decimal
    issued: date | None
    due: date | None
    paid: date | None


@dataclass
class Log:
    request: int
    engineer: int
    day: date
    hours: Decimal


@dataclass
class Cost:
    project: int
    day: date
    amount: Decimal


@dataclass
class Approval:
    request: int
    decision: ApprovalDecision
    decided: datetime


@dataclass
class Data:
    projects: int
    engineers: list[Engineer]
    requests: list[Req] = field(default_factory=list)
    invoices: list[Inv] = field(default_factory=list)
    logs: list[Log] = field(default_factory=list)
    costs: list[Cost] = field(default_factory=list)
    approvals: list[Approval] = field(default_factory=list)


def _request(
    status: RequestStatus,
    created: int,
    respond: int | None,
    close: int,
    due: int,
    due_at_close: bool,
    **fields: Any,
) -> Req:
    created_at = at(created)
    closed = created_at + timedelta(seconds=close) if status is RequestStatus.closed else None
    resolution_due = created_at + timedelta(seconds=due)
    if closed is not None and due_at_close:
        resolution_due = closed  # closed exactly at the due time
    first = None
    if respond is not None and status is not RequestStatus.new:
        first = created_at + timedelta(seconds=respond)
        if closed is not None and first > closed:
            first = closed
    return Req(
        status=status,
        created=created_at,
        response_due=created_at + timedelta(hours=4),
        resolution_due=resolution_due,
        first_response=first,
        closed=closed,
        cancelled=(
            created_at + timedelta(seconds=close) if status is RequestStatus.cancelled else None
        ),
        paused=(
            created_at + timedelta(seconds=close // 2)
            if status is RequestStatus.awaiting_approval and due_at_close
            else None
        ),
        **fields,
    )


def _invoice(
    project: int, status: InvoiceStatus, cents: int, issued: int, due: int, paid: int
) -> Inv:
    issued_on = date(2026, 2, 20) + timedelta(days=issued)
    if status is InvoiceStatus.draft:
        return Inv(project, status, D(cents) / 100, None, None, None)
    return Inv(
        project,
        status,
        D(cents) / 100,
        issued_on,
        issued_on + timedelta(days=due),
        issued_on + timedelta(days=paid) if status is InvoiceStatus.paid else None,
    )


money = st.integers(1, 10_000_000)  # cents
instant = st.one_of(st.integers(0, SPAN), st.sampled_from(EDGES))


@st.composite
def datasets(draw: st.DrawFn) -> Data:
    projects = draw(st.integers(1, 3))
    engineers = draw(
        st.lists(
            st.builds(
                Engineer,
                capacity=st.one_of(
                    st.none(), st.just(D(0)), st.integers(1, 6000).map(lambda c: D(c) / 100)
                ),
                cost_rate=st.one_of(st.none(), money.map(lambda c: D(c) / 100)),
            ),
            min_size=1,
            max_size=3,
        )
    )
    data = Data(projects, engineers)
    data.requests = draw(
        st.lists(
            st.builds(
                _request,
                status=st.sampled_from(list(RequestStatus)),
                created=instant,
                respond=st.one_of(st.none(), st.integers(0, 12 * 3600)),
                close=st.one_of(st.just(0), st.integers(0, 20 * DAY)),
                due=st.integers(0, 10 * DAY),
                due_at_close=st.booleans(),
                project=st.integers(0, projects - 1),
                engineer=st.one_of(st.none(), st.integers(0, len(engineers) - 1)),
                priority=st.sampled_from(list(Priority)),
                revisions=st.integers(0, 3),
            ),
            max_size=25,
        )
    )
    data.invoices = draw(
        st.lists(
            st.builds(
                _invoice,
                project=st.integers(0, projects - 1),
                status=st.sampled_from(list(InvoiceStatus)),
                cents=money,
                issued=st.integers(0, 44),
                due=st.integers(0, 40),
                paid=st.integers(0, 40),
            ),
            max_size=10,
        )
    )
    days = st.integers(0, 44).map(lambda n: date(2026, 2, 20) + timedelta(days=n))
    if data.requests:
        data.logs = draw(
            st.lists(
                st.builds(
                    Log,
                    request=st.integers(0, len(data.requests) - 1),
                    engineer=st.integers(0, len(engineers) - 1),
                    day=days,
                    hours=st.integers(1, 2400).map(lambda h: D(h) / 100),
                ),
                max_size=15,
            )
        )
        data.approvals = draw(
            st.lists(
                st.builds(
                    Approval,
                    request=st.integers(0, len(data.requests) - 1),
                    decision=st.sampled_from(list(ApprovalDecision)),
                    decided=instant.map(at),
                ),
                max_size=8,
            )
        )
    data.costs = draw(
        st.lists(
            st.builds(
                Cost,
                project=st.integers(0, projects - 1),
                day=days,
                amount=st.integers(0, 1_000_000).map(lambda c: D(c) / 100),
            ),
            max_size=6,
        )
    )
    return data


def seeded_dataset(seed: int, requests: int = 200) -> Data:
    """The same shapes as `datasets`, drawn with `random.Random(seed)`."""
    rnd = random.Random(seed)
    projects = 6
    engineers = [
        Engineer(
            rnd.choice([None, D(0), D(rnd.randint(1, 6000)) / 100]),
            rnd.choice([None, D(rnd.randint(1, 10_000_000)) / 100]),
        )
        for _ in range(8)
    ]
    data = Data(projects, engineers)
    for _ in range(requests):
        data.requests.append(
            _request(
                status=rnd.choice(list(RequestStatus)),
                created=rnd.choice([rnd.randint(0, SPAN), rnd.choice(EDGES)]),
                respond=rnd.choice([None, rnd.randint(0, 12 * 3600)]),
                close=rnd.choice([0, rnd.randint(0, 20 * DAY)]),
                due=rnd.randint(0, 10 * DAY),
                due_at_close=rnd.random() < 0.3,
                project=rnd.randrange(projects),
                engineer=rnd.choice([None, rnd.randrange(len(engineers))]),
                priority=rnd.choice(list(Priority)),
                revisions=rnd.randint(0, 3),
            )
        )
    for _ in range(80):
        data.invoices.append(
            _invoice(
                rnd.randrange(projects),
                rnd.choice(list(InvoiceStatus)),
                rnd.randint(1, 10_000_000),
                rnd.randint(0, 44),
                rnd.randint(0, 40),
                rnd.randint(0, 40),
            )
        )
    for _ in range(150):
        data.logs.append(
            Log(
                rnd.randrange(requests),
                rnd.randrange(len(engineers)),
                date(2026, 2, 20) + timedelta(days=rnd.randint(0, 44)),
                D(rnd.randint(1, 2400)) / 100,
            )
        )
    for _ in range(60):
        data.approvals.append(
            Approval(
                rnd.randrange(requests),
                rnd.choice(list(ApprovalDecision)),
                at(rnd.randint(0, SPAN)),
            )
        )
    for _ in range(30):
        data.costs.append(
            Cost(
                rnd.randrange(projects),
                date(2026, 2, 20) + timedelta(days=rnd.randint(0, 44)),
                D(rnd.randint(0, 1_000_000)) / 100,
            )
        )
    return data


# --- loading through the builders -------------------------------------------------------


@dataclass
class Loaded:
    project_ids: list[int]
    project_codes: list[str]
    customer_ids: list[int]
    customer_names: list[str]
    engineer_ids: list[int]
    engineer_names: list[str]


def load(session: Session, data: Data, *, fixed_names: bool = False) -> Loaded:
    """Insert `data`; with `fixed_names`, names and codes do not depend on the builders'
    global counter (two databases loaded in turn then hold the very same rows)."""

    def named(kind: str, n: int) -> dict[str, str]:
        return {"name": f"{kind} {n}"} if fixed_names else {}

    customers = [make_customer(session, **named("Client", n)) for n in range(data.projects)]
    projects = [
        make_project(
            session,
            customer_id=customers[n].id,
            manager_id=None,
            **({"code": f"P-{n:03d}", "name": f"Project {n}"} if fixed_names else {}),
        )
        for n in range(data.projects)
    ]
    engineers = [
        make_user(
            session,
            Role.engineer,
            weekly_capacity_hours=e.capacity,
            cost_rate=e.cost_rate,
            **({"username": f"eng{n}", "full_name": f"Engineer {n}"} if fixed_names else {}),
        )
        for n, e in enumerate(data.engineers)
    ]
    requests = []
    for r in data.requests:
        requests.append(
            make_request(
                session,
                project_id=projects[r.project].id,
                assigned_engineer_id=None if r.engineer is None else engineers[r.engineer].id,
                priority=r.priority,
                status=r.status,
                created_at=r.created,
                response_due_at=r.response_due,
                resolution_due_at=r.resolution_due,
                first_response_at=r.first_response,
                closed_at=r.closed,
                completed_at=r.closed,
                cancelled_at=r.cancelled,
                sla_paused_at=r.paused,
                revision_count=r.revisions,
            )
        )
    for a in data.approvals:
        session.add(
            CompletionApproval(
                request_id=requests[a.request].id, decision=a.decision, decided_at=a.decided
            )
        )
    session.flush()
    for log in data.logs:
        make_work_log(
            session,
            request_id=requests[log.request].id,
            engineer_id=engineers[log.engineer].id,
            work_date=log.day,
            hours=log.hours,
        )
    for inv in data.invoices:
        make_invoice(
            session,
            project_id=projects[inv.project].id,
            status=inv.status,
            amount=inv.amount,
            issued_on=inv.issued,
            due_on=inv.due,
            paid_on=inv.paid,
            cancelled_on=inv.issued if inv.status is InvoiceStatus.cancelled else None,
        )
    for cost in data.costs:
        make_project_cost(
            session, project_id=projects[cost.project].id, incurred_on=cost.day, amount=cost.amount
        )
    return Loaded(
        [p.id for p in projects],
        [p.code for p in projects],
        [c.id for c in customers],
        [c.name for c in customers],
        [e.id for e in engineers],
        [e.full_name for e in engineers],
    )


# --- the reference, from DESIGN.md ------------------------------------------------------


def seconds(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds())


def in_period(moment: datetime | None) -> bool:
    return moment is not None and UTC_START <= moment < UTC_END


def in_days(day: date | None) -> bool:
    return day is not None and START <= day <= END


def mean_of(values: list[int], unit: int = 1) -> Decimal | None:
    return q2(D(sum(values)) / len(values) / unit) if values else None


def percentile(values: list[int], fraction: Decimal, unit: int) -> Decimal | None:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * fraction
    low = int(k)
    high = min(low + 1, len(ordered) - 1)
    value = ordered[low] + (k - low) * (ordered[high] - ordered[low])
    return q2(D(value) / unit)


def percent(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    return q2(D(part) * 100 / D(whole)) if whole else None


def closed_in_period(data: Data) -> list[Req]:
    return [r for r in data.requests if r.status is RequestStatus.closed and in_period(r.closed)]


def reference(data: Data, ids: Loaded) -> dict[str, Any]:
    out: dict[str, Any] = {}
    open_ = [r for r in data.requests if r.status in OPEN]
    out["open-requests"] = (
        len(open_),
        mean_of([seconds(NOW) - seconds(r.created) for r in open_], DAY),
    )
    past_due = [r for r in open_ if (r.paused or NOW) > r.resolution_due]
    soon = [
        r
        for r in open_
        if r not in past_due and r.paused is None and r.resolution_due <= NOW + timedelta(hours=24)
    ]
    out["sla-at-risk"] = (len(past_due), len(soon))
    responded = [r for r in data.requests if in_period(r.first_response)]
    waits = [seconds(r.first_response) - seconds(r.created) for r in responded]  # type: ignore[arg-type]
    within = sum(1 for r in responded if r.first_response <= r.response_due)  # type: ignore[operator]
    out["first-response"] = (
        len(responded),
        mean_of(waits, 3600),
        percentile(waits, D("0.9"), 3600),
        within,
        percent(within, len(responded)),
    )
    closed = closed_in_period(data)
    durations = [seconds(r.closed) - seconds(r.created) for r in closed]  # type: ignore[arg-type]
    out["time-to-close"] = (
        len(closed),
        mean_of(durations, 3600),
        percentile(durations, D("0.5"), 3600),
        percentile(durations, D("0.9"), 3600),
    )
    on_time = sum(1 for r in closed if r.closed <= r.resolution_due)  # type: ignore[operator]
    out["on-time"] = (len(closed), on_time, percent(on_time, len(closed)))
    revisions = sum(r.revisions for r in closed)
    out["revision-cycles"] = (len(closed), revisions, mean_of([r.revisions for r in closed]))
    per_day = {day: [0, 0] for day in (START + timedelta(days=i) for i in range(31))}
    for r in closed:
        slot = per_day[local_date(r.closed)]  # type: ignore[arg-type]
        slot[0] += 1
        slot[1] += r.closed <= r.resolution_due  # type: ignore[operator]
    out["throughput"] = (
        len(closed),
        q2(D(len(closed)) / 31),
        [(day, c, ok) for day, (c, ok) in per_day.items()],
    )
    decided = [a for a in data.approvals if in_period(a.decided)]
    approved = sum(1 for a in decided if a.decision is ApprovalDecision.approved)
    rejected = len(decided) - approved
    out["approvals"] = (approved, rejected, percent(approved, approved + rejected))

    billed = (InvoiceStatus.issued, InvoiceStatus.paid)
    issued = [i for i in data.invoices if i.status in billed and in_days(i.issued)]
    paid = [i for i in data.invoices if i.status is InvoiceStatus.paid and in_days(i.paid)]
    out["revenue"] = (
        len(issued),
        q2(sum((i.amount for i in issued), D(0))),
        len(paid),
        q2(sum((i.amount for i in paid), D(0))),
    )
    today = local_date(NOW)
    overdue = [
        i
        for i in data.invoices
        if i.status is InvoiceStatus.issued and i.due is not None and i.due < today
    ]
    clients: dict[int, list[Any]] = {}
    for i in overdue:
        slot = clients.setdefault(i.project, [0, D(0)])
        slot[0] += 1
        slot[1] += i.amount
    listed = sorted(
        (
            (ids.customer_ids[p], ids.customer_names[p], n, q2(total))
            for p, (n, total) in clients.items()
        ),
        key=lambda row: (-row[3], row[1]),
    )
    out["overdue-invoices"] = (len(overdue), q2(sum((i.amount for i in overdue), D(0))), listed)

    loads = []
    for index, engineer in enumerate(data.engineers):
        assigned = sum(1 for r in data.requests if r.engineer == index and in_period(r.created))
        closed_by = sum(1 for r in closed if r.engineer == index)
        hours = sum((g.hours for g in data.logs if g.engineer == index and in_days(g.day)), D(0))
        weeks = D(31) / 7
        capacity = None if engineer.capacity is None else q2(engineer.capacity * weeks)
        utilization = q2(hours * 100 / (engineer.capacity * weeks)) if engineer.capacity else None
        loads.append(
            (ids.engineer_ids[index], assigned, closed_by, q2(hours), capacity, utilization)
        )
    out["utilization"] = sorted(loads)

    margins = []
    for p in range(data.projects):
        invoiced = [i.amount for i in issued if i.project == p]
        costs = [c.amount for c in data.costs if c.project == p and in_days(c.day)]
        logs = [g for g in data.logs if data.requests[g.request].project == p and in_days(g.day)]
        if not (invoiced or costs or logs):
            continue
        billed_total = q2(sum(invoiced, D(0)))
        spent = q2(sum(costs, D(0)))
        labour = q2(
            sum((g.hours * (data.engineers[g.engineer].cost_rate or 0) for g in logs), D(0))
        )
        margin = billed_total - spent - labour
        margins.append(
            (
                ids.project_codes[p],
                billed_total,
                spent,
                labour,
                margin,
                percent(margin, billed_total),
            )
        )
    margins.sort(key=lambda row: (row[4], row[0]))
    out["profitability"] = margins
    return out


def actual(session: Session, cfg: Settings, ids: Loaded) -> dict[str, Any]:
    params = service.make_params(cfg, start=START, end=END, as_of=NOW)

    def kpi(name: str) -> Any:
        return service.compute(session, name, params, cfg)

    out: dict[str, Any] = {}
    r = kpi("open-requests")
    out["open-requests"] = (r.count, r.mean_age_days)
    r = kpi("sla-at-risk")
    out["sla-at-risk"] = (r.past_due, r.due_within_24h)
    r = kpi("first-response")
    out["first-response"] = (
        r.responded,
        r.mean_hours,
        r.p90_hours,
        r.within_sla,
        r.within_sla_percent,
    )
    r = kpi("time-to-close")
    out["time-to-close"] = (r.closed, r.mean_hours, r.median_hours, r.p90_hours)
    r = kpi("on-time")
    out["on-time"] = (r.closed, r.on_time, r.on_time_percent)
    r = kpi("revision-cycles")
    out["revision-cycles"] = (r.closed, r.revisions, r.mean_revisions)
    r = kpi("throughput")
    out["throughput"] = (r.closed, r.per_day, [(d.day, d.closed, d.on_time) for d in r.days])
    r = kpi("approvals")
    out["approvals"] = (r.approved, r.rejected, r.approval_percent)
    r = kpi("revenue")
    out["revenue"] = (r.issued_count, r.issued, r.paid_count, r.paid)
    r = kpi("overdue-invoices")
    out["overdue-invoices"] = (
        r.count,
        r.total,
        [(c.customer_id, c.name, c.count, c.total) for c in r.clients],
    )
    r = kpi("utilization")
    mine = set(ids.engineer_ids)
    out["utilization"] = sorted(
        (
            e.engineer_id,
            e.assigned,
            e.closed,
            e.hours_logged,
            e.capacity_hours,
            e.utilization_percent,
        )
        for e in r.engineers
        if e.engineer_id in mine
    )
    r = kpi("profitability")
    out["profitability"] = [
        (p.code, p.invoiced, p.costs, p.labour, p.margin, p.margin_percent) for p in r.projects
    ]
    return out


@hsettings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=datasets())
def test_every_kpi_matches_the_reference(session: Session, settings: Settings, data: Data) -> None:
    with session.begin_nested() as savepoint:
        ids = load(session, data)
        expected = reference(data, ids)
        got = actual(session, settings, ids)
        savepoint.rollback()
    for name in expected:
        assert got[name] == expected[name], name


def test_the_summary_is_identical_on_sqlite_and_postgresql(database_url_factory: Any) -> None:
    data = seeded_dataset(20260301)
    dumps = {}
    for backend in ("sqlite", "postgresql"):
        cfg = Settings(  # type: ignore[call-arg]
            _env_file=None, env="test", database={"url": database_url_factory(backend)}
        )
        engine = open_database(cfg)
        try:
            upgrade(engine)
            factory = session_factory(engine)
            with unit_of_work(factory) as session:
                load(session, data, fixed_names=True)
            with unit_of_work(factory) as session:
                params = service.make_params(cfg, start=START, end=END, as_of=NOW)
                summary = service.build_summary(
                    session, params, cfg, service.allowed_sections(session)
                )
                dumps[backend] = summary.model_dump_json(indent=1)
        finally:
            engine.dispose()
    assert summary.on_time is not None  # the data is not empty
    assert summary.on_time.closed > 0
    assert dumps["sqlite"] == dumps["postgresql"]
