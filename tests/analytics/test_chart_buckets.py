"""Charts for a phone (issue 13): at most ~60 bars, per day, week or month by the period's
length; tick labels only under bars of the period, never repeated; margins by project name
and code; money axes named by currency. Pure: the figures are read, not looked at (the PNGs
were looked at for 1-day, 1-month, 1-year and 3-year periods when the rule was made)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest

from oversight.analytics import schemas as s
from oversight.analytics.buckets import Unit, buckets

DAY = date(2026, 11, 20)
PERIODS = {
    "1 day": (DAY, DAY),
    "1 month": (date(2026, 11, 1), date(2026, 11, 30)),
    "1 year": (date(2025, 12, 1), date(2026, 11, 30)),
    "3 years": (date(2023, 12, 1), date(2026, 11, 30)),
}
EXPECTED = {  # unit, bars, first and last labels
    "1 day": (Unit.day, 1, "20.11", "20.11"),
    "1 month": (Unit.day, 30, "01.11", "30.11"),
    "1 year": (Unit.week, 53, "01.12", "30.11"),
    "3 years": (Unit.month, 36, "12/23", "11/26"),
}


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


@pytest.mark.parametrize("name", PERIODS)
def test_buckets_cover_the_period_once_with_at_most_about_sixty_bars(name):
    start, end = PERIODS[name]
    unit, groups = buckets(start, end)
    assert (unit, len(groups), groups[0].label, groups[-1].label) == EXPECTED[name]
    assert groups[0].start == start
    assert groups[-1].end == end
    for before, after in itertools.pairwise(groups):
        assert after.start == before.end + timedelta(days=1)
    assert len(groups) <= 62


def test_weeks_run_monday_to_sunday_inside_the_period():
    _, weeks = buckets(date(2025, 12, 1), date(2026, 11, 30))
    assert all(w.start.weekday() == 0 for w in weeks[1:])
    assert all(w.end.weekday() == 6 for w in weeks[:-1])


def _throughput(start: date, end: date) -> s.Throughput:
    days = [s.DayClosed(day=d, closed=2, on_time=1) for d in _days(start, end)]
    return s.Throughput(period=s.PeriodRead(start=start, end=end), closed=2 * len(days),
                        per_day=Decimal(2), days=days)  # fmt: skip


def _ticks(axes) -> list[str]:
    return [label.get_text() for label in axes.get_xticklabels()]


@pytest.mark.parametrize("name", PERIODS)
def test_closed_per_day_draws_one_stacked_bar_per_bucket_with_labels_inside(name):
    from oversight.analytics import charts

    start, end = PERIODS[name]
    figure = charts.draw("closed-per-day", _throughput(start, end))
    axes = figure.axes[0]
    unit, groups, *_ = EXPECTED[name]
    assert len(axes.patches) == 2 * groups  # on time and late, stacked
    ticks = _ticks(axes)
    labels = [group.label for group in buckets(start, end)[1]]
    assert ticks
    assert len(ticks) == len(set(ticks)) <= 8
    assert set(ticks) <= set(labels)
    assert ticks[0] == labels[0]
    low, high = axes.get_xlim()
    assert low > -1
    assert high < groups
    assert f"Closed per {unit.value}" in axes.get_title()
    charts.plt.close(figure)


@pytest.mark.parametrize("name", PERIODS)
def test_open_requests_has_a_point_per_bucket_up_to_today(name):
    from oversight.analytics import charts

    start, end = PERIODS[name]
    today = end - timedelta(days=10) if start != end else end
    points = [s.DayOpen(day=d, open=5) for d in _days(start, end) if d <= today]
    figure = charts.draw("open-requests", s.OpenOverTime(
        period=s.PeriodRead(start=start, end=end), days=points))  # fmt: skip
    axes = figure.axes[0]
    drawn = axes.get_lines()[0].get_xdata()
    past = [g for g in buckets(start, end)[1] if g.start <= today]
    assert len(drawn) == len(past)
    ticks = _ticks(axes)
    assert len(ticks) == len(set(ticks)) <= 8
    assert set(ticks) <= {g.label for g in past}
    charts.plt.close(figure)


def test_revenue_goes_per_quarter_past_two_years_and_names_its_currency():
    from oversight.analytics import charts

    start, end = PERIODS["3 years"]
    months = sorted({f"{d:%Y-%m}" for d in _days(start, end)})
    data = s.RevenueByMonth(period=s.PeriodRead(start=start, end=end), currency="RUB",
                            months=[s.MonthRevenue(month=m, issued=Decimal(100), paid=Decimal(50))
                                    for m in months])  # fmt: skip
    figure = charts.draw("revenue-by-month", data)
    axes = figure.axes[0]
    assert len(axes.patches) == 2 * 13  # Q4/23 .. Q4/26, issued and paid
    assert axes.get_ylabel() == "RUB"
    assert "Revenue by quarter, RUB" in axes.get_title()
    assert _ticks(axes)[0] == "Q4/23"
    charts.plt.close(figure)


def _margin(code: str, name: str, margin: str | None) -> s.ProjectMargin:
    value = None if margin is None else Decimal(margin)
    return s.ProjectMargin(project_id=1, code=code, name=name, customer="C",
                           invoiced=Decimal(1000), costs=Decimal(100),
                           labour=None if value is None else Decimal(0), margin=value,
                           margin_percent=None,
                           withheld="withheld" if value is None else None)  # fmt: skip


@pytest.mark.parametrize("withheld", [False, True], ids=["margins", "withheld"])
def test_margins_name_each_project_and_the_currency(withheld):
    from oversight.analytics import charts

    projects = [
        _margin(
            f"PRJ-{n:04d}",
            f"Fire-safety maintenance contract, Customer {n}",
            None if withheld else str(n * 100 - 700),
        )
        for n in range(1, 15)
    ]
    data = s.Profitability(period=s.PeriodRead(start=DAY, end=DAY), currency="EUR",
                           withheld="withheld" if withheld else None,
                           projects=projects)  # fmt: skip
    figure = charts.draw("margins", data)
    axes = figure.axes[0]
    assert len(axes.patches) == charts.MAX_BARS
    names = [t.get_text() for t in axes.texts if t.get_text().startswith("PRJ-")]
    assert len(names) == charts.MAX_BARS
    assert all("Fire-safety maintenance" in name for name in names)
    assert axes.get_xlabel() == "EUR"
    title = axes.get_title()
    assert ("labour withheld" in title) is withheld
    charts.plt.close(figure)
