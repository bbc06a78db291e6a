"""The KPI registry: every KPI declared once, with everything that follows from it.

A `Kpi` names its route (`GET /api/v1/analytics/<name>`), the permission resource that
guards it, its answer's schema, how it is computed, and whether it is a section of the
summary (the `Summary` field named like the KPI, with underscores). From `KPIS` follow the
routes (`oversight.analytics.routes`), the summary (`oversight.analytics.service
.build_summary`), the cache and the terminal table (`oversight.analytics.text`); the
`Summary` schema and the text renderings are checked against it by
`tests/analytics/test_registry.py`.

To add a KPI: a query in desk/finance/people, a schema in `schemas`, an entry below, a
`Summary` field if `summary=True`, and its rows in `text.SUMMARY_ROWS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.orm import Session

from oversight.analytics import desk, finance, people
from oversight.analytics import schemas as s
from oversight.analytics.params import KpiParams
from oversight.auth.permissions import Resource
from oversight.config import Settings


@dataclass
class KpiSource:
    """What a KPI is computed from: one session, parameters and settings, and the passes
    over the data that several KPIs share (each made at most once per source)."""

    session: Session
    params: KpiParams
    settings: Settings

    @property
    def currency(self) -> str:
        return self.settings.company.currency

    @cached_property
    def open_facts(self) -> desk.OpenFacts:
        return desk.open_facts(self.session, self.params)

    @cached_property
    def closed_facts(self) -> desk.Distribution:
        return desk.closed_facts(self.session, self.params)


@dataclass(frozen=True, slots=True)
class Kpi:
    """One KPI: `name` is its path and cache name; reading it needs `resource` read."""

    name: str
    resource: Resource
    schema: type[s.KpiSchema]
    compute: Callable[[KpiSource], s.KpiSchema]
    summary: bool = True
    # takes `to_date` (everything up to the period's end): profitability only
    to_date: bool = False

    @property
    def field(self) -> str:
        """Its field in `Summary` (when `summary`)."""
        return self.name.replace("-", "_")


DESK, FINANCE, PEOPLE = (
    Resource.analytics_desk,
    Resource.analytics_finance,
    Resource.analytics_people,
)

KPIS: dict[str, Kpi] = {
    kpi.name: kpi
    for kpi in (
        Kpi(
            "open-requests",
            DESK,
            s.OpenRequests,
            lambda src: desk.open_requests(src.open_facts, src.params),
        ),
        Kpi(
            "sla-at-risk",
            DESK,
            s.SlaAtRisk,
            lambda src: desk.sla_at_risk(src.open_facts, src.params),
        ),
        Kpi(
            "first-response",
            DESK,
            s.FirstResponse,
            lambda src: desk.first_response(src.session, src.params),
        ),
        Kpi(
            "time-to-close",
            DESK,
            s.TimeToClose,
            lambda src: desk.time_to_close(src.closed_facts, src.params),
        ),
        Kpi("on-time", DESK, s.OnTime, lambda src: desk.on_time(src.closed_facts, src.params)),
        Kpi(
            "revision-cycles",
            DESK,
            s.RevisionCycles,
            lambda src: desk.revision_cycles(src.closed_facts, src.params),
        ),
        Kpi("throughput", DESK, s.Throughput, lambda src: desk.throughput(src.session, src.params)),
        Kpi("approvals", DESK, s.Approvals, lambda src: desk.approvals(src.session, src.params)),
        Kpi(
            "open-over-time",
            DESK,
            s.OpenOverTime,
            lambda src: desk.open_over_time(src.session, src.params),
            summary=False,
        ),
        Kpi(
            "utilization",
            PEOPLE,
            s.Utilization,
            lambda src: people.utilization(src.session, src.params),
        ),
        Kpi(
            "profitability",
            FINANCE,
            s.Profitability,
            lambda src: finance.profitability(src.session, src.params, src.currency),
            to_date=True,
        ),
        Kpi(
            "revenue",
            FINANCE,
            s.Revenue,
            lambda src: finance.revenue(src.session, src.params, src.currency),
        ),
        Kpi(
            "revenue-by-month",
            FINANCE,
            s.RevenueByMonth,
            lambda src: finance.revenue_by_month(src.session, src.params, src.currency),
            summary=False,
        ),
        Kpi(
            "overdue-invoices",
            FINANCE,
            s.OverdueInvoices,
            lambda src: finance.overdue_invoices(src.session, src.params, src.currency),
        ),
    )
}

SUMMARY_KPIS: tuple[Kpi, ...] = tuple(kpi for kpi in KPIS.values() if kpi.summary)

CHART_KPIS: dict[str, Kpi] = {
    "open-requests": KPIS["open-over-time"],
    "closed-per-day": KPIS["throughput"],
    "revenue-by-month": KPIS["revenue-by-month"],
    "utilization": KPIS["utilization"],
    "margins": KPIS["profitability"],
}
"""Each chart's name and the KPI it draws (`oversight.analytics.charts` renders them)."""
