"""Plain-text renderings for a phone screen (the Telegram bot, `summary.txt`).

Every phrase goes through a `Wording`: `PLAIN` (English, fixed formats) for the API and the
CLI; the bot passes one per language (`oversight.telegram.i18n`), whose catalogue translates
the phrases (they are the gettext message ids) and whose Babel formats numbers, money and
dates. Placeholders are named, so a translation may reorder them.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol

from oversight.analytics import schemas as s
from oversight.analytics.params import ratio_percent

SEPARATOR = " · "


class Wording(Protocol):
    """A language: its phrases and its ways of writing numbers, money and dates."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int) -> str: ...

    def money(self, amount: Decimal, currency: str) -> str: ...

    def number(self, value: Decimal) -> str:
        """A figure with one decimal place."""
        ...

    def percent(self, value: Decimal | None) -> str:
        """A whole percentage ("—" for none)."""
        ...

    def day_range(self, start: date, end: date) -> str: ...


def money(amount: Decimal, currency: str) -> str:
    """`50000` -> `50,000.00 RUB`."""
    return f"{amount:,.2f} {currency}"


def _one_place(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.1"), ROUND_HALF_UP))


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{value.quantize(Decimal(1), ROUND_HALF_UP)}%"


class PlainWording:
    """English with fixed formats: the API's and the CLI's text."""

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return singular if n == 1 else plural

    def money(self, amount: Decimal, currency: str) -> str:
        return money(amount, currency)

    def number(self, value: Decimal) -> str:
        return _one_place(value)

    def percent(self, value: Decimal | None) -> str:
        return _percent(value)

    def day_range(self, start: date, end: date) -> str:
        return f"{start:%d.%m}-{end:%d.%m.%Y}"


PLAIN = PlainWording()


def period_label(period: s.PeriodRead, today: date | None, w: Wording) -> str:
    """ "this month" for the whole current month, "month to date" for its first day to
    `today` (the default period), else the days."""
    start, end = period.start, period.end
    if today is not None and start == today.replace(day=1):
        whole_month = (end + timedelta(days=1)).day == 1 and end.month == start.month
        if whole_month:
            return w.gettext("this month")
        if end == today:
            return w.gettext("month to date")
    return w.day_range(start, end)


def render_open_requests(kpi: s.OpenRequests, w: Wording = PLAIN) -> str:
    if kpi.mean_age_days is None:
        return w.gettext("Open requests: {count}").format(count=kpi.count)
    return w.gettext("Open requests: {count} (avg age {days} days)").format(
        count=kpi.count, days=w.number(kpi.mean_age_days)
    )


def render_summary(summary: s.Summary, w: Wording = PLAIN, separator: str = "\n") -> str:
    """One line per section of the summary the caller may see (the sections they may not see
    are null and left out), e.g. 'Open requests: 5 (avg age 2.3 days)', 'On time this month:
    92%', 'Revenue: 50,000.00 RUB'. A test checks every section has its line for every role.
    """
    label = period_label(summary.period, summary.today, w)
    parts: list[str] = []
    if summary.open_requests is not None:
        parts.append(render_open_requests(summary.open_requests, w))
    if summary.sla_at_risk is not None:
        parts.append(_at_risk(summary.sla_at_risk, w))
    if summary.first_response is not None:
        parts.append(_first_response_line(summary.first_response, w))
    if summary.time_to_close is not None:
        parts.append(_time_to_close_line(summary.time_to_close, w))
    if summary.on_time is not None:
        parts.append(
            w.gettext("On time {period}: {percent}").format(
                period=label, percent=w.percent(summary.on_time.on_time_percent)
            )
        )
    if summary.throughput is not None:
        parts.append(
            w.gettext("Closed per day: {number}").format(
                number=w.number(summary.throughput.per_day)
            )
        )
    if summary.approvals is not None:
        parts.append(_approvals_line(summary.approvals, w))
    if summary.revision_cycles is not None:
        mean_revisions = summary.revision_cycles.mean_revisions
        parts.append(
            w.gettext("Revisions per closed request: {number}").format(
                number="—" if mean_revisions is None else w.number(mean_revisions)
            )
        )
    if summary.utilization is not None:
        parts.append(_utilization_line(summary.utilization, w))
    if summary.revenue is not None:
        revenue = summary.revenue
        parts.append(
            w.gettext("Revenue: {amount}").format(amount=w.money(revenue.issued, revenue.currency))
            + SEPARATOR
            + w.gettext("Paid: {amount}").format(amount=w.money(revenue.paid, revenue.currency))
        )
    if summary.profitability is not None:
        parts.append(_profitability_line(summary.profitability, w))
    if summary.overdue_invoices is not None:
        parts.append(_overdue_line(summary.overdue_invoices, w))
    return separator.join(parts)


def _first_response_line(kpi: s.FirstResponse, w: Wording) -> str:
    if kpi.mean_hours is None:
        return w.gettext("First response: none in the period")
    return w.gettext("First response: avg {hours} h, {percent} within SLA").format(
        hours=w.number(kpi.mean_hours), percent=w.percent(kpi.within_sla_percent)
    )


def _time_to_close_line(kpi: s.TimeToClose, w: Wording) -> str:
    if kpi.mean_hours is None or kpi.median_hours is None:
        return w.gettext("Time to close: none closed")
    return w.gettext("Time to close: avg {mean} h, median {median} h").format(
        mean=w.number(kpi.mean_hours), median=w.number(kpi.median_hours)
    )


def _approvals_line(kpi: s.Approvals, w: Wording) -> str:
    return w.gettext("Approved at completion: {percent} ({approved} of {decided})").format(
        percent=w.percent(kpi.approval_percent),
        approved=kpi.approved,
        decided=kpi.approved + kpi.rejected,
    )


def _utilization_line(kpi: s.Utilization, w: Wording) -> str:
    hours = sum((e.hours_logged for e in kpi.engineers), Decimal(0))
    if len(kpi.engineers) == 1:
        (engineer,) = kpi.engineers
        return w.gettext("{name}: {hours} h logged, load {percent}").format(
            name=engineer.name,
            hours=w.number(hours),
            percent=w.percent(engineer.utilization_percent),
        )
    loads = [e.utilization_percent for e in kpi.engineers if e.utilization_percent is not None]
    average = sum(loads, Decimal(0)) / len(loads) if loads else None
    return w.gettext("Engineers: {count}, {hours} h logged, mean load {percent}").format(
        count=len(kpi.engineers), hours=w.number(hours), percent=w.percent(average)
    )


def _profitability_line(kpi: s.Profitability, w: Wording) -> str:
    n = len(kpi.projects)
    projects = w.ngettext("{count} project", "{count} projects", n).format(count=n)
    invoiced = sum((p.invoiced for p in kpi.projects), Decimal(0))
    if kpi.withheld is not None:
        return w.gettext(
            "Projects with activity: {count}, invoiced {amount}, margin withheld"
        ).format(count=n, amount=w.money(invoiced, kpi.currency))
    margin = sum((p.margin or Decimal(0) for p in kpi.projects), Decimal(0))
    losses = sum(1 for p in kpi.projects if p.margin is not None and p.margin < 0)
    return w.gettext("Margin: {amount} ({percent}), {projects}, {losses} at a loss").format(
        amount=w.money(margin, kpi.currency),
        percent=w.percent(ratio_percent(margin, invoiced)),
        projects=projects,
        losses=losses,
    )


def _overdue_line(overdue: s.OverdueInvoices, w: Wording) -> str:
    if not overdue.count:
        return w.gettext("Overdue invoices: none")
    n = len(overdue.clients)
    clients = w.ngettext("{count} client", "{count} clients", n).format(count=n)
    return w.gettext("Overdue invoices: {clients} ({names}), {amount}").format(
        clients=clients,
        names=", ".join(client.name for client in overdue.clients),
        amount=w.money(overdue.total, overdue.currency),
    )


def _at_risk(kpi: s.SlaAtRisk, w: Wording) -> str:
    return (
        w.gettext("Past due: {count}").format(count=kpi.past_due)
        + SEPARATOR
        + w.gettext("Due in 24 h: {count}").format(count=kpi.due_within_24h)
    )


def render_project(stats: s.ProjectStats, currency: str = "RUB", w: Wording = PLAIN) -> str:
    """A few lines about one project: requests, SLA, and (with finance access) its margin."""
    on_time = stats.on_time
    lines = [
        f"{stats.code} {stats.name} ({stats.customer})",
        render_open_requests(stats.open_requests, w) + SEPARATOR + _at_risk(stats.sla_at_risk, w),
        w.gettext("Closed: {count}").format(count=on_time.closed)
        + SEPARATOR
        + w.gettext("On time: {percent}").format(percent=w.percent(on_time.on_time_percent))
        + (
            SEPARATOR
            + w.gettext("Avg time to close: {hours} h").format(
                hours=w.number(stats.time_to_close.mean_hours)
            )
            if stats.time_to_close.mean_hours is not None
            else ""
        ),
    ]
    if stats.margin is not None and stats.margin.margin is None:
        m = stats.margin
        lines.append(
            w.gettext("Invoiced: {amount}").format(amount=w.money(m.invoiced, currency))
            + SEPARATOR
            + w.gettext("Project costs: {amount}").format(amount=w.money(m.costs, currency))
            + SEPARATOR
            + w.gettext("Margin: withheld")
        )
    elif stats.margin is not None:
        m = stats.margin
        labour = m.labour or Decimal(0)
        lines.append(
            w.gettext("Invoiced: {amount}").format(amount=w.money(m.invoiced, currency))
            + SEPARATOR
            + w.gettext("Costs: {amount}").format(amount=w.money(m.costs + labour, currency))
            + SEPARATOR
            + w.gettext("Margin: {amount} ({percent})").format(
                amount=w.money(m.margin or Decimal(0), currency),
                percent=w.percent(m.margin_percent),
            )
        )
    return "\n".join(lines)


def render_open(open_requests: s.OpenRequests, at_risk: s.SlaAtRisk, w: Wording = PLAIN) -> str:
    """Open requests with the SLA risk first: past due and due within a day, then the count."""
    return "\n".join([_at_risk(at_risk, w), render_open_requests(open_requests, w)])


def render_overdue(overdue: s.OverdueInvoices, w: Wording = PLAIN) -> str:
    """The overdue total, then one line per client, largest first as the KPI orders them."""
    if not overdue.count:
        return w.gettext("Overdue invoices: none")
    n = overdue.count
    lines = [
        w.ngettext(
            "{count} overdue invoice, {amount}", "{count} overdue invoices, {amount}", n
        ).format(count=n, amount=w.money(overdue.total, overdue.currency))
    ]
    lines += [
        f"• {client.name}: {client.count}, {w.money(client.total, overdue.currency)}"
        for client in overdue.clients
    ]
    return "\n".join(lines)


def render_engineers(load: s.Utilization, w: Wording = PLAIN) -> str:
    """One line per engineer: requests assigned and closed, hours logged, utilization."""
    header = w.gettext("Engineers, {period}:").format(
        period=w.day_range(load.period.start, load.period.end)
    )
    if not load.engineers:
        return header + "\n" + w.gettext("no engineers")
    lines = [header]
    for engineer in load.engineers:
        lines.append(
            "• "
            + w.gettext(
                "{name}: assigned {assigned}, closed {closed}, {hours} h, load {percent}"
            ).format(
                name=engineer.name,
                assigned=engineer.assigned,
                closed=engineer.closed,
                hours=w.number(engineer.hours_logged),
                percent=w.percent(engineer.utilization_percent),
            )
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
        losses = (
            "withheld"
            if summary.profitability.withheld
            else sum(1 for p in projects if p.margin is not None and p.margin < 0)
        )
        add("projects with activity / at a loss", f"{len(projects)} / {losses}")
    return rows
