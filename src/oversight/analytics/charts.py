"""PNG charts for a phone screen: matplotlib's Agg backend, large type, one message each.

Bars per day, week or month by the period's length (`oversight.analytics.buckets`: at most
~60), tick labels only under bars or days of the period, money axes named by currency,
projects by name and code.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from matplotlib.transforms import blended_transform_factory
from pydantic import BaseModel

from oversight.analytics import schemas as s
from oversight.analytics.buckets import (
    Bucket,
    Unit,
    bucket_index,
    buckets,
    tick_positions,
)
from oversight.analytics.kpis import CHART_KPIS
from oversight.analytics.text import PLAIN, Wording


def _(message: str) -> str:
    """Marks a phrase for the catalogue (`make messages`); `Wording.gettext` translates it
    where it is drawn."""
    return message


WIDTH, HEIGHT, DPI = 7.2, 8.0, 150  # 1080 x 1200 px: a phone screen in portrait
BLUE, GREEN, ORANGE, RED, GREY = "#1f6fb2", "#2e9e5b", "#f0a030", "#d1443c", "#888888"

plt.rcParams.update(
    {
        "font.size": 15,
        "axes.titlesize": 19,
        "axes.titleweight": "bold",
        "axes.labelsize": 15,
        "xtick.labelsize": 13,
        "ytick.labelsize": 13,
        "legend.fontsize": 13,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


def _figure() -> tuple[Figure, Any]:
    figure = plt.figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    return figure, figure.add_subplot(1, 1, 1)


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    return buffer.getvalue()


def _thousands(value: float, _: object) -> str:
    """Axis labels like 750k, 1.25M: as many decimals as the tick needs, never a rounded lie."""
    for scale, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.2f}".rstrip("0").rstrip(".") + suffix
    return f"{value:.0f}"


def _empty(axes: Any, w: Wording) -> None:
    message = w.gettext("no data in this period")
    axes.text(0.5, 0.5, message, ha="center", va="center", color=GREY, transform=axes.transAxes)
    axes.set_xticks([])
    axes.set_yticks([])


def _period(period: s.PeriodRead) -> str:
    return f"{period.start:%d.%m.%Y} - {period.end:%d.%m.%Y}"


def _bar_ticks(axes: Any, labels: list[str]) -> None:
    """Labels under some of the bars (at most `MAX_TICK_LABELS`), never between or beyond."""
    shown = tick_positions(len(labels))
    axes.set_xticks(shown, [labels[i] for i in shown], rotation=45 if len(shown) > 5 else 0)
    axes.set_xlim(-0.6, len(labels) - 0.4)


OPEN_TITLES = {
    Unit.day: _("Open requests"),
    Unit.week: _("Open requests at the end of each week"),
    Unit.month: _("Open requests at the end of each month"),
}


def open_points(data: s.OpenOverTime) -> tuple[Unit, list[tuple[str, int]]]:
    """The open-requests line in the chart's buckets: (label, open at the end of the last day
    of the bucket that has happened), one per bucket up to today."""
    unit, groups = buckets(data.period.start, data.period.end)
    last: dict[int, int] = {}
    for point, index in zip(
        data.days, bucket_index([p.day for p in data.days], groups), strict=True
    ):
        last[index] = point.open
    return unit, [(groups[index].label, value) for index, value in sorted(last.items())]


def open_requests_chart(data: BaseModel, w: Wording = PLAIN) -> Figure:
    assert isinstance(data, s.OpenOverTime)
    figure, axes = _figure()
    unit, points = open_points(data)
    axes.set_title(w.gettext(OPEN_TITLES[unit]) + f"\n{_period(data.period)}")
    if not points:
        _empty(axes, w)
        return figure
    positions = list(range(len(points)))
    counts = [value for _, value in points]
    axes.fill_between(positions, counts, color=BLUE, alpha=0.15)
    axes.plot(positions, counts, color=BLUE, linewidth=3, marker="o" if len(counts) <= 12 else "")
    axes.annotate(
        f"{counts[-1]}",
        (positions[-1], counts[-1]),
        textcoords="offset points",
        xytext=(0, 10),
        ha="center",
        fontsize=17,
        fontweight="bold",
    )
    axes.set_ylim(bottom=0, top=max(counts) * 1.15 + 1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    # one tick per labelled point of the data, so none repeats and none falls outside
    _bar_ticks(axes, [label for label, _ in points])
    axes.grid(axis="y", alpha=0.3)
    return figure


def closed_buckets(data: s.Throughput) -> tuple[Unit, list[Bucket], list[int], list[int]]:
    """The throughput in the chart's buckets: unit, buckets, closed and on-time per bucket."""
    unit, groups = buckets(data.period.start, data.period.end)
    closed, on_time = [0] * len(groups), [0] * len(groups)
    for day, index in zip(data.days, bucket_index([d.day for d in data.days], groups), strict=True):
        closed[index] += day.closed
        on_time[index] += day.on_time
    return unit, groups, closed, on_time


CLOSED_TITLES = {
    Unit.day: _("Closed per day ({share})"),
    Unit.week: _("Closed per week ({share})"),
    Unit.month: _("Closed per month ({share})"),
}


def closed_per_day_chart(data: BaseModel, w: Wording = PLAIN) -> Figure:
    assert isinstance(data, s.Throughput)
    figure, axes = _figure()
    on_time = sum(day.on_time for day in data.days)
    share = (
        w.gettext("{percent}% on time").format(percent=f"{on_time * 100 / data.closed:.0f}")
        if data.closed
        else w.gettext("none closed")
    )
    unit, groups, closed, ok = closed_buckets(data)
    title = w.gettext(CLOSED_TITLES[unit]).format(share=share)
    axes.set_title(f"{title}\n{_period(data.period)}")
    if not data.closed:
        _empty(axes, w)
        return figure
    positions = list(range(len(groups)))
    late = [c - o for c, o in zip(closed, ok, strict=True)]
    axes.bar(positions, ok, color=GREEN, label=w.gettext("on time"))
    axes.bar(positions, late, bottom=ok, color=RED, label=w.gettext("late"))
    _bar_ticks(axes, [group.label for group in groups])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(loc="upper left", frameon=False, ncols=2)
    axes.set_ylim(top=max(closed) * 1.2 + 1)
    axes.grid(axis="y", alpha=0.3)
    return figure


QUARTERS_FROM_MONTHS = 25


def revenue_bars(data: s.RevenueByMonth) -> tuple[str, list[tuple[str, Decimal, Decimal]]]:
    """(unit, [(label, issued, paid)]): per month, or per quarter when the period spans more
    than two years (two bars a month would pass ~60 bars)."""
    if len(data.months) < QUARTERS_FROM_MONTHS:
        return "month", [(f"{m.month[5:]}/{m.month[2:4]}", m.issued, m.paid) for m in data.months]
    quarters: dict[str, list[Decimal]] = {}
    for m in data.months:
        quarter = f"Q{(int(m.month[5:]) - 1) // 3 + 1}/{m.month[2:4]}"
        totals = quarters.setdefault(quarter, [Decimal(0), Decimal(0)])
        totals[0] += m.issued
        totals[1] += m.paid
    return "quarter", [(label, issued, paid) for label, (issued, paid) in quarters.items()]


REVENUE_TITLES = {
    "month": _("Revenue by month, {currency}"),
    "quarter": _("Revenue by quarter, {currency}"),
}


def revenue_chart(data: BaseModel, w: Wording = PLAIN) -> Figure:
    assert isinstance(data, s.RevenueByMonth)
    figure, axes = _figure()
    unit, bars = revenue_bars(data)
    title = w.gettext(REVENUE_TITLES[unit]).format(currency=data.currency)
    axes.set_title(f"{title}\n{_period(data.period)}")
    if not any(issued or paid for _, issued, paid in bars):
        _empty(axes, w)
        return figure
    positions = range(len(bars))
    width = 0.4
    axes.bar(
        [p - width / 2 for p in positions],
        [float(issued) for _, issued, _ in bars],
        width,
        color=BLUE,
        label=w.gettext("issued"),
    )
    axes.bar(
        [p + width / 2 for p in positions],
        [float(paid) for _, _, paid in bars],
        width,
        color=GREEN,
        label=w.gettext("paid"),
    )
    _bar_ticks(axes, [label for label, _, _ in bars])
    axes.yaxis.set_major_formatter(FuncFormatter(_thousands))
    axes.set_ylabel(data.currency)
    axes.legend(loc="upper left", frameon=False, ncols=2)
    top = max(max(issued, paid) for _, issued, paid in bars)
    axes.set_ylim(top=float(top) * 1.2)
    axes.grid(axis="y", alpha=0.3)
    return figure


def _horizontal_bars(
    axes: Any, labels: list[str], values: list[float], colors: list[str], texts: list[str]
) -> None:
    positions = list(range(len(labels)))
    axes.barh(positions, values, color=colors)
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    for position, value, label in zip(positions, values, texts, strict=True):
        axes.text(
            value,
            position,
            f" {label}" if value >= 0 else f"{label} ",
            va="center",
            ha="left" if value >= 0 else "right",
            fontsize=13,
        )
    axes.grid(axis="x", alpha=0.3)


MAX_BARS = 12


def utilization_chart(data: BaseModel, w: Wording = PLAIN) -> Figure:
    assert isinstance(data, s.Utilization)
    figure, axes = _figure()
    rows = sorted(
        (e for e in data.engineers if e.utilization_percent is not None),
        key=lambda e: -(e.utilization_percent or Decimal(0)),
    )
    shown = rows[:MAX_BARS]
    more = (
        " (" + w.gettext("top {shown} of {total}").format(shown=MAX_BARS, total=len(rows)) + ")"
        if len(rows) > MAX_BARS
        else ""
    )
    axes.set_title(w.gettext("Engineer utilization") + f"{more}\n{_period(data.period)}")
    if not shown:
        _empty(axes, w)
        return figure
    values = [float(e.utilization_percent or 0) for e in shown]
    colors = [RED if v > 100 else ORANGE if v >= 85 else GREEN if v >= 50 else GREY for v in values]
    _horizontal_bars(
        axes, [_short(e.name) for e in shown], values, colors, [f"{v:.0f}%" for v in values]
    )
    axes.axvline(100, color=GREY, linestyle="--", linewidth=1.5)
    axes.set_xlim(0, max(110.0, max(values) * 1.2))
    axes.set_xlabel(w.gettext("hours logged / capacity, %"))
    return figure


def project_label(project: s.ProjectMargin) -> str:
    """`PRJ-0004 · Fire-safety maintenance contract, Kremlin View…`: the code and as much of
    the name as a phone's width holds."""
    return _short(f"{project.code} · {project.name}", 52)


def margin_values(data: s.Profitability) -> list[tuple[s.ProjectMargin, Decimal]]:
    """The projects the margins chart draws, with the value of each bar, lowest first: the
    margin, or — when it is withheld from the caller — invoiced less project costs (labour
    left out). At most `MAX_BARS`: the worst and the best halves."""
    pairs = sorted(
        ((p, p.invoiced - p.costs if p.margin is None else p.margin) for p in data.projects),
        key=lambda pair: (pair[1], pair[0].code),
    )
    half = MAX_BARS // 2
    return pairs if len(pairs) <= MAX_BARS else pairs[:half] + pairs[-half:]


def margins_chart(data: BaseModel, w: Wording = PLAIN) -> Figure:
    assert isinstance(data, s.Profitability)
    figure, axes = _figure()
    shown = margin_values(data)
    half = MAX_BARS // 2
    more = (
        "\n"
        + w.gettext("{half} worst, {half} best of {total}").format(
            half=half, total=len(data.projects)
        )
        if len(shown) < len(data.projects)
        else ""
    )
    heading = (
        w.gettext("Invoiced less project costs (labour withheld)")
        if data.withheld
        else w.gettext("Project margins")
    )
    span = (
        w.gettext("up to {day}").format(day=f"{data.period.end:%d.%m.%Y}")
        if data.to_date
        else _period(data.period)
    )
    axes.set_title(f"{heading}{more}\n{span}")
    if not shown:
        _empty(axes, w)
        return figure
    values = [float(value) for _, value in shown]
    positions = list(range(len(shown)))
    axes.barh(positions, values, height=0.42, color=[GREEN if v >= 0 else RED for v in values])
    axes.invert_yaxis()
    axes.set_yticks([])
    axes.spines["left"].set_visible(False)
    beside = blended_transform_factory(axes.transAxes, axes.transData)
    for position, value, (project, _) in zip(positions, values, shown, strict=True):
        # the project above its bar, across the whole width; the figure at the bar's end
        axes.text(0, position - 0.26, project_label(project), transform=beside,
                  ha="left", va="bottom", fontsize=12)  # fmt: skip
        figure_text = _thousands(value, None) + (
            f" ({project.margin_percent:.0f}%)" if project.margin_percent is not None else ""
        )
        axes.text(value, position, f" {figure_text} " , va="center",
                  ha="left" if value >= 0 else "right", fontsize=12)  # fmt: skip
    axes.axvline(0, color=GREY, linewidth=1)
    low, high = min([*values, 0.0]), max([*values, 0.0])
    width = (high - low) or 1.0
    axes.set_xlim(low - width * (0.35 if low < 0 else 0.02), high + width * 0.35)
    axes.set_ylim(len(shown) - 0.5, -0.9)
    axes.xaxis.set_major_formatter(FuncFormatter(_thousands))
    axes.xaxis.set_major_locator(MaxNLocator(4))
    axes.set_xlabel(data.currency)
    axes.grid(axis="x", alpha=0.3)
    return figure


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


RENDERERS: dict[str, Callable[[BaseModel, Wording], Figure]] = {
    "open-requests": open_requests_chart,
    "closed-per-day": closed_per_day_chart,
    "revenue-by-month": revenue_chart,
    "utilization": utilization_chart,
    "margins": margins_chart,
}
assert set(RENDERERS) == set(CHART_KPIS)


def draw(name: str, data: BaseModel, w: Wording = PLAIN) -> Figure:
    """Chart `name`'s figure (for tests that read its bars and ticks); close it after use."""
    return RENDERERS[name](data, w)


def render(name: str, data: BaseModel, w: Wording = PLAIN) -> bytes:
    """Chart `name` (a key of `CHART_KPIS`) of its KPI's answer `data`, as PNG bytes, its
    words in `w`'s language."""
    return _png(draw(name, data, w))
