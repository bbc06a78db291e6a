"""Plain-text renderings for a phone screen (the Telegram bot, `summary.txt`)."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from oversight.analytics import schemas as s

SEPARATOR = " · "


def money(amount: Decimal, currency: str) -> str:
    """`50000` -> `50,000.00 RUB`."""
    return f"{amount:,.2f} {currency}"


def _one_place(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), ROUND_HALF_UP))


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal(1), ROUND_HALF_UP)}%"


def _period_label(period: s.PeriodRead, as_of_month: tuple[int, int] | None) -> str:
    start, end = period.start, period.end
    whole_month = start.day == 1 and (end + timedelta(days=1)).day == 1 and end.month == start.month
    if whole_month and as_of_month == (start.year, start.month):
        return "this month"
    return f"{start:%d.%m}-{end:%d.%m.%Y}"


def _open(kpi: s.OpenRequests) -> str:
    if kpi.mean_age_days is None:
        return f"Open requests: {kpi.count}"
    return f"Open requests: {kpi.count} (avg age {_one_place(kpi.mean_age_days)} days)"


def render_summary(summary: s.Summary) -> str:
    """One line, e.g. 'Open requests: 5 (avg age 2.3 days) · On time this month: 92% ·
    Revenue: 50,000.00 RUB · Overdue invoices: 2 clients (ACME, Globex), 12,400.00 RUB'.
    Sections the caller may not see are left out."""
    parts: list[str] = []
    as_of = summary.open_requests.as_of if summary.open_requests else None
    label = _period_label(summary.period, (as_of.year, as_of.month) if as_of else None)
    if summary.open_requests is not None:
        parts.append(_open(summary.open_requests))
    if summary.on_time is not None:
        parts.append(f"On time {label}: {_percent(summary.on_time.on_time_percent)}")
    if summary.sla_at_risk is not None and summary.sla_at_risk.past_due:
        parts.append(f"Past due: {summary.sla_at_risk.past_due}")
    if summary.revenue is not None:
        parts.append(f"Revenue: {money(summary.revenue.issued, summary.revenue.currency)}")
    if summary.overdue_invoices is not None:
        overdue = summary.overdue_invoices
        if overdue.count:
            names = ", ".join(client.name for client in overdue.clients)
            clients = f"{len(overdue.clients)} client{'s' if len(overdue.clients) != 1 else ''}"
            parts.append(
                f"Overdue invoices: {clients} ({names}), {money(overdue.total, overdue.currency)}"
            )
        else:
            parts.append("Overdue invoices: none")
    return SEPARATOR.join(parts)


def render_project(stats: s.ProjectStats, currency: str = "RUB") -> str:
    """A few lines about one project: requests, SLA, and (with finance access) its margin."""
    on_time = stats.on_time
    lines = [
        f"{stats.code} {stats.name} ({stats.customer})",
        _open(stats.open_requests)
        + f"{SEPARATOR}Past due: {stats.sla_at_risk.past_due}"
        + f"{SEPARATOR}Due in 24 h: {stats.sla_at_risk.due_within_24h}",
        f"Closed: {on_time.closed}{SEPARATOR}On time: {_percent(on_time.on_time_percent)}"
        + (
            f"{SEPARATOR}Avg time to close: {_one_place(stats.time_to_close.mean_hours)} h"
            if stats.time_to_close.mean_hours is not None
            else ""
        ),
    ]
    if stats.margin is not None:
        m = stats.margin
        lines.append(
            f"Invoiced: {money(m.invoiced, currency)}{SEPARATOR}"
            f"Costs: {money(m.costs + m.labour, currency)}{SEPARATOR}"
            f"Margin: {money(m.margin, currency)} ({_percent(m.margin_percent)})"
        )
    return "\n".join(lines)


def summary_rows(summary: s.Summary) -> list[tuple[str, str]]:
    """The summary as (label, value) rows for a table (`oversight analytics summary`): rows
    for every KPI present (a test checks each summary KPI of the registry has some)."""
    rows: list[tuple[str, str]] = []

    def add(label: str, value: object) -> None:
        rows.append((label, "—" if value is None else str(value)))

    if summary.open_requests:
        add("open requests", summary.open_requests.count)
        add("mean age, days", summary.open_requests.mean_age_days)
    if summary.sla_at_risk:
        add("past due / due within 24 h",
            f"{summary.sla_at_risk.past_due} / {summary.sla_at_risk.due_within_24h}")  # fmt: skip
    if summary.first_response:
        first = summary.first_response
        add("first response mean / P90, h", f"{first.mean_hours} / {first.p90_hours}")
        add("responses within SLA, %", summary.first_response.within_sla_percent)
    if summary.time_to_close:
        ttc = summary.time_to_close
        add("time to close mean / median / P90, h",
            f"{ttc.mean_hours} / {ttc.median_hours} / {ttc.p90_hours}")  # fmt: skip
    if summary.on_time:
        add("closed / on time", f"{summary.on_time.closed} / {summary.on_time.on_time}")
        add("on-time rate, %", summary.on_time.on_time_percent)
    if summary.throughput:
        add("closed per day", summary.throughput.per_day)
    if summary.approvals:
        add("approval rate, %", summary.approvals.approval_percent)
    if summary.revision_cycles:
        add("revisions per closed request", summary.revision_cycles.mean_revisions)
    if summary.revenue:
        add("revenue issued", money(summary.revenue.issued, summary.revenue.currency))
        add("revenue paid", money(summary.revenue.paid, summary.revenue.currency))
    if summary.overdue_invoices:
        overdue = summary.overdue_invoices
        add("overdue invoices", f"{overdue.count}: {money(overdue.total, overdue.currency)}")
    if summary.utilization:
        loads = [e.utilization_percent for e in summary.utilization.engineers]
        known = [load for load in loads if load is not None]
        average = f"{sum(known) / len(known):.2f}" if known else "—"
        add("engineers / mean utilization, %", f"{len(loads)} / {average}")
    if summary.profitability:
        projects = summary.profitability.projects
        add("projects with activity / at a loss",
            f"{len(projects)} / {sum(1 for p in projects if p.margin < 0)}")  # fmt: skip
    return rows
