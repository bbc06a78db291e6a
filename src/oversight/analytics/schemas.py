"""What each KPI answers, as API schemas a dashboard can use directly.

Money is `Amount` (a string with two places in JSON); shares are percentages with two places,
`null` when there is nothing to divide by; durations are hours (or days for ages) with two
places. Every figure is a `Decimal` rounded half-up (`oversight.kit.money.to_money`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from oversight.kit.schemas import Amount


class KpiSchema(BaseModel):
    model_config = ConfigDict(frozen=True)


class PeriodRead(KpiSchema):
    start: date
    end: date


class OpenRequests(KpiSchema):
    as_of: datetime
    count: int
    mean_age_days: Decimal | None


class FirstResponse(KpiSchema):
    period: PeriodRead
    responded: int
    mean_hours: Decimal | None
    p90_hours: Decimal | None
    within_sla: int
    within_sla_percent: Decimal | None


class TimeToClose(KpiSchema):
    period: PeriodRead
    closed: int
    mean_hours: Decimal | None
    median_hours: Decimal | None
    p90_hours: Decimal | None


class OnTime(KpiSchema):
    period: PeriodRead
    closed: int
    on_time: int
    on_time_percent: Decimal | None


class SlaAtRisk(KpiSchema):
    as_of: datetime
    due_within_24h: int
    past_due: int


class EngineerLoad(KpiSchema):
    engineer_id: int
    name: str
    assigned: int
    closed: int
    hours_logged: Decimal
    capacity_hours: Decimal | None
    utilization_percent: Decimal | None


class Utilization(KpiSchema):
    period: PeriodRead
    weeks: Decimal
    engineers: list[EngineerLoad]


class ProjectMargin(KpiSchema):
    """`labour`, `margin` and `margin_percent` are null, and `withheld` says why, for a caller
    who may not read engineers' cost rates (labour over hours would give a rate away)."""

    project_id: int
    code: str
    name: str
    customer: str
    invoiced: Amount
    costs: Amount
    labour: Amount | None
    margin: Amount | None
    margin_percent: Decimal | None
    withheld: str | None = None


class Profitability(KpiSchema):
    """Projects by margin, worst first (by code when the margin is withheld). `to_date`:
    everything up to `period.end`, not only the period."""

    period: PeriodRead
    to_date: bool = False
    currency: str
    withheld: str | None = None
    projects: list[ProjectMargin]


class Revenue(KpiSchema):
    period: PeriodRead
    currency: str
    issued_count: int
    issued: Amount
    paid_count: int
    paid: Amount


class OverdueClient(KpiSchema):
    customer_id: int
    name: str
    count: int
    total: Amount


class OverdueInvoices(KpiSchema):
    as_of: date
    currency: str
    count: int
    total: Amount
    clients: list[OverdueClient]


class DayClosed(KpiSchema):
    day: date
    closed: int
    on_time: int


class Throughput(KpiSchema):
    period: PeriodRead
    closed: int
    per_day: Decimal
    days: list[DayClosed]


class Approvals(KpiSchema):
    period: PeriodRead
    approved: int
    rejected: int
    approval_percent: Decimal | None


class RevisionCycles(KpiSchema):
    period: PeriodRead
    closed: int
    revisions: int
    mean_revisions: Decimal | None


class DayOpen(KpiSchema):
    day: date
    open: int


class OpenOverTime(KpiSchema):
    period: PeriodRead
    days: list[DayOpen]


class MonthRevenue(KpiSchema):
    month: str
    issued: Amount
    paid: Amount


class RevenueByMonth(KpiSchema):
    period: PeriodRead
    currency: str
    months: list[MonthRevenue]


class Summary(KpiSchema):
    """The director's dashboard: every KPI the caller may see; the others are null."""

    period: PeriodRead
    today: date | None = None  # the company-local date it was made on
    open_requests: OpenRequests | None = None
    first_response: FirstResponse | None = None
    time_to_close: TimeToClose | None = None
    on_time: OnTime | None = None
    sla_at_risk: SlaAtRisk | None = None
    throughput: Throughput | None = None
    approvals: Approvals | None = None
    revision_cycles: RevisionCycles | None = None
    utilization: Utilization | None = None
    profitability: Profitability | None = None
    revenue: Revenue | None = None
    overdue_invoices: OverdueInvoices | None = None


class ProjectStats(KpiSchema):
    """One project's figures (`project_stats <ProjectID>`); `margin` null without finance."""

    project_id: int
    code: str
    name: str
    customer: str
    open_requests: OpenRequests
    sla_at_risk: SlaAtRisk
    on_time: OnTime
    time_to_close: TimeToClose
    margin: ProjectMargin | None = None
