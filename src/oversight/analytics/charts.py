"""PNG charts for a phone screen: matplotlib's Agg backend, large type, one message each."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator
from pydantic import BaseModel

from oversight.analytics import schemas as s
from oversight.analytics.kpis import CHART_KPIS
from oversight.analytics.text import PLAIN, Wording

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


def open_requests_chart(data: BaseModel, w: Wording = PLAIN) -> bytes:
    assert isinstance(data, s.OpenOverTime)
    figure, axes = _figure()
    axes.set_title(w.gettext("Open requests") + f"\n{_period(data.period)}")
    if not data.days:
        _empty(axes, w)
        return _png(figure)
    days = [point.day for point in data.days]
    counts = [point.open for point in data.days]
    axes.fill_between(days, counts, color=BLUE, alpha=0.15)
    axes.plot(days, counts, color=BLUE, linewidth=3)
    axes.annotate(
        f"{counts[-1]}",
        (days[-1], counts[-1]),
        textcoords="offset points",
        xytext=(0, 10),
        ha="center",
        fontsize=17,
        fontweight="bold",
    )
    axes.set_ylim(bottom=0, top=max(counts) * 1.15 + 1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.set_major_formatter(DateFormatter("%d.%m"))  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(MaxNLocator(6))
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def closed_per_day_chart(data: BaseModel, w: Wording = PLAIN) -> bytes:
    assert isinstance(data, s.Throughput)
    figure, axes = _figure()
    on_time = sum(day.on_time for day in data.days)
    share = (
        w.gettext("{percent}% on time").format(percent=f"{on_time * 100 / data.closed:.0f}")
        if data.closed
        else w.gettext("none closed")
    )
    title = w.gettext("Closed per day ({share})").format(share=share)
    axes.set_title(f"{title}\n{_period(data.period)}")
    if not data.closed:
        _empty(axes, w)
        return _png(figure)
    days = [day.day for day in data.days]
    ok = [day.on_time for day in data.days]
    late = [day.closed - day.on_time for day in data.days]
    axes.bar(days, ok, color=GREEN, label=w.gettext("on time"))
    axes.bar(days, late, bottom=ok, color=RED, label=w.gettext("late"))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.xaxis.set_major_formatter(DateFormatter("%d.%m"))  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(MaxNLocator(6))
    axes.legend(loc="upper left", frameon=False, ncols=2)
    axes.set_ylim(top=max(d.closed for d in data.days) * 1.2 + 1)
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


def revenue_chart(data: BaseModel, w: Wording = PLAIN) -> bytes:
    assert isinstance(data, s.RevenueByMonth)
    figure, axes = _figure()
    title = w.gettext("Revenue by month, {currency}").format(currency=data.currency)
    axes.set_title(f"{title}\n{_period(data.period)}")
    if not any(month.issued or month.paid for month in data.months):
        _empty(axes, w)
        return _png(figure)
    positions = range(len(data.months))
    width = 0.4
    axes.bar(
        [p - width / 2 for p in positions],
        [float(m.issued) for m in data.months],
        width,
        color=BLUE,
        label=w.gettext("issued"),
    )
    axes.bar(
        [p + width / 2 for p in positions],
        [float(m.paid) for m in data.months],
        width,
        color=GREEN,
        label=w.gettext("paid"),
    )
    labels = [f"{m.month[5:]}/{m.month[2:4]}" for m in data.months]
    axes.set_xticks(list(positions), labels, rotation=45 if len(labels) > 6 else 0)
    axes.yaxis.set_major_formatter(FuncFormatter(_thousands))
    axes.legend(loc="upper left", frameon=False, ncols=2)
    top = max(max(m.issued, m.paid) for m in data.months)
    axes.set_ylim(top=float(top) * 1.2)
    axes.grid(axis="y", alpha=0.3)
    return _png(figure)


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


def utilization_chart(data: BaseModel, w: Wording = PLAIN) -> bytes:
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
        return _png(figure)
    values = [float(e.utilization_percent or 0) for e in shown]
    colors = [RED if v > 100 else ORANGE if v >= 85 else GREEN if v >= 50 else GREY for v in values]
    _horizontal_bars(
        axes, [_short(e.name) for e in shown], values, colors, [f"{v:.0f}%" for v in values]
    )
    axes.axvline(100, color=GREY, linestyle="--", linewidth=1.5)
    axes.set_xlim(0, max(110.0, max(values) * 1.2))
    axes.set_xlabel(w.gettext("hours logged / capacity, %"))
    return _png(figure)


def margins_chart(data: BaseModel, w: Wording = PLAIN) -> bytes:
    assert isinstance(data, s.Profitability)
    figure, axes = _figure()
    projects = sorted(data.projects, key=lambda p: p.margin)
    shown = (
        projects
        if len(projects) <= MAX_BARS
        else projects[: MAX_BARS // 2] + projects[-MAX_BARS // 2 :]
    )
    half = MAX_BARS // 2
    more = (
        "\n"
        + w.gettext("{half} worst, {half} best of {total}").format(half=half, total=len(projects))
        if len(shown) < len(projects)
        else ""
    )
    axes.set_title(w.gettext("Project margins") + f"{more}\n{_period(data.period)}")
    if not shown:
        _empty(axes, w)
        return _png(figure)
    values = [float(p.margin) for p in shown]
    _horizontal_bars(
        axes,
        [_short(p.code) for p in shown],
        values,
        [GREEN if v >= 0 else RED for v in values],
        [
            _thousands(v, None)
            + (f" ({p.margin_percent:.0f}%)" if p.margin_percent is not None else "")
            for v, p in zip(values, shown, strict=True)
        ],
    )
    axes.axvline(0, color=GREY, linewidth=1)
    low, high = min([*values, 0.0]), max([*values, 0.0])
    span = (high - low) or 1.0
    axes.set_xlim(low - span * (0.45 if low < 0 else 0.05), high + span * 0.45)
    axes.xaxis.set_major_formatter(FuncFormatter(_thousands))
    axes.xaxis.set_major_locator(MaxNLocator(4))
    return _png(figure)


def _short(text: str, limit: int = 18) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


RENDERERS: dict[str, Callable[[BaseModel, Wording], bytes]] = {
    "open-requests": open_requests_chart,
    "closed-per-day": closed_per_day_chart,
    "revenue-by-month": revenue_chart,
    "utilization": utilization_chart,
    "margins": margins_chart,
}
assert set(RENDERERS) == set(CHART_KPIS)


def render(name: str, data: BaseModel, w: Wording = PLAIN) -> bytes:
    """Chart `name` (a key of `CHART_KPIS`) of its KPI's answer `data`, as PNG bytes, its
    words in `w`'s language."""
    return RENDERERS[name](data, w)
