"""Time buckets for charts a phone can show: at most ~60 bars, ticks only inside the period.

A period of up to 62 days is drawn per day; up to 366 days per week (Monday to Sunday, the
first and last weeks cut at the period's ends: at most 54 bars); longer periods (up to
`MAX_PERIOD_DAYS`, three years) per calendar month (at most 37). Pure date arithmetic, no
plotting, so the rule is tested without drawing.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

DAILY_UP_TO_DAYS = 62
WEEKLY_UP_TO_DAYS = 366
MAX_TICK_LABELS = 8


class Unit(enum.StrEnum):
    day = "day"
    week = "week"
    month = "month"


@dataclass(frozen=True, slots=True)
class Bucket:
    """Local days `start`..`end`, both included, and the label under its bar."""

    start: date
    end: date
    label: str


def unit_for(start: date, end: date) -> Unit:
    days = (end - start).days + 1
    if days <= DAILY_UP_TO_DAYS:
        return Unit.day
    if days <= WEEKLY_UP_TO_DAYS:
        return Unit.week
    return Unit.month


def month_label(day: date) -> str:
    """`03/26` for March 2026."""
    return f"{day:%m/%y}"


def buckets(start: date, end: date) -> tuple[Unit, list[Bucket]]:
    """The period `start`..`end` cut into the buckets of its length's unit, in order; every
    bucket lies inside the period and every day of the period is in exactly one."""
    unit = unit_for(start, end)
    result: list[Bucket] = []
    first = start
    while first <= end:
        if unit is Unit.day:
            last = first
        elif unit is Unit.week:
            last = first + timedelta(days=6 - first.weekday())
        else:
            last = (first.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        last = min(last, end)
        label = month_label(first) if unit is Unit.month else f"{first:%d.%m}"
        result.append(Bucket(first, last, label))
        first = last + timedelta(days=1)
    return unit, result


def tick_positions(count: int, most: int = MAX_TICK_LABELS) -> list[int]:
    """Which of `count` bars get a label: every k-th from the first, at most `most`."""
    if count <= 0:
        return []
    step = max(1, math.ceil(count / most))
    return list(range(0, count, step))


def bucket_index(days: Sequence[date], groups: Sequence[Bucket]) -> list[int]:
    """For each day (in order, inside the buckets), the index of its bucket."""
    result: list[int] = []
    index = 0
    for day in days:
        while groups[index].end < day:
            index += 1
        result.append(index)
    return result
