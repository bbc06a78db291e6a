"""Business gauges (Prometheus) computed from the database when it scrapes, with a short cache.

Uses the domain's own definitions of "open" and "overdue" (the repositories' clauses), so a
dashboard and the API never disagree. Queries run without a principal: unscoped, read-only.
"""

from __future__ import annotations

from datetime import datetime
from datetime import time as day_time
from decimal import Decimal

from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.orm import Session

from oversight.config import Settings
from oversight.invoices import repository as invoice_repository
from oversight.invoices.models import Invoice
from oversight.kit.clock import local_today, utcnow
from oversight.observability.collectors import CachedCollector
from oversight.service_requests import repository as request_repository
from oversight.service_requests.models import RequestStatus, ServiceRequest
from oversight.service_requests.workflow import OPEN_STATUSES
from oversight.vocabulary import Priority


class BusinessCollector(CachedCollector):
    """A prometheus_client collector; at most one set of queries per
    `observability.business_metrics_ttl_seconds`."""

    def __init__(self, bind: Engine | Connection, settings: Settings) -> None:
        super().__init__(
            settings.observability.business_metrics_ttl_seconds,
            failure_event="business_metrics_failed",
        )
        self._bind = bind
        self._settings = settings

    def compute(self) -> list[Metric]:
        calendar = self._settings.company.calendar
        now = utcnow()
        today = local_today(calendar.timezone)
        day_start = datetime.combine(today, day_time(0), tzinfo=calendar.timezone)
        sr = ServiceRequest
        with Session(bind=self._bind) as session:
            open_counts = session.execute(
                select(sr.status, sr.priority, func.count())
                .where(sr.status.in_(OPEN_STATUSES))
                .group_by(sr.status, sr.priority)
            ).all()
            past_sla = session.scalar(
                select(func.count()).where(request_repository.overdue_clause(now))
            )
            closed_today = session.scalar(
                select(func.count()).where(
                    sr.status == RequestStatus.closed, sr.closed_at >= day_start
                )
            )
            overdue = session.execute(
                select(Invoice.currency, func.count(), func.coalesce(func.sum(Invoice.amount), 0))
                .where(invoice_repository.overdue_clause(today))
                .group_by(Invoice.currency)
            ).all()

        by_key = {(str(status), str(priority)): count for status, priority, count in open_counts}
        open_family = GaugeMetricFamily(
            "oversight_open_requests", "Open service requests by status and priority.",
            labels=("status", "priority"),
        )  # fmt: skip
        for status in sorted(OPEN_STATUSES):
            for priority in Priority:
                open_family.add_metric(
                    (str(status), priority.value), by_key.get((str(status), priority.value), 0)
                )
        past_family = GaugeMetricFamily(
            "oversight_open_requests_past_sla",
            "Open service requests whose resolution due time has passed.",
            value=past_sla or 0,
        )
        closed_family = GaugeMetricFamily(
            "oversight_requests_closed_today",
            "Service requests closed since midnight in the company's timezone.",
            value=closed_today or 0,
        )
        currency = self._settings.company.currency
        amounts = {row[0]: (row[1], Decimal(row[2])) for row in overdue}
        amounts.setdefault(currency, (0, Decimal(0)))
        count_family = GaugeMetricFamily(
            "oversight_overdue_invoices", "Issued, unpaid invoices past their due date.",
            labels=("currency",),
        )  # fmt: skip
        amount_family = GaugeMetricFamily(
            "oversight_overdue_invoices_amount",
            "Total amount of overdue invoices (in the invoice currency).",
            labels=("currency",),
        )
        for code, (count, amount) in sorted(amounts.items()):
            count_family.add_metric((code,), count)
            amount_family.add_metric((code,), float(amount))
        families: list[Metric] = [open_family, past_family, closed_family, count_family]
        if self._settings.observability.business_money_metrics:
            # Money is a finance figure: off unless enabled (whoever scrapes reads it).
            families.append(amount_family)
        return families
