"""When service requests arrive: how many each day, at what time, for which project.

Recent months are busier; most requests come in during working hours, some in the evening
and at weekends. The plan is one small record per day, so its size does not depend on the
number of requests.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time, timedelta
from itertools import accumulate

from oversight.demo.company import ProjectPlan
from oversight.demo.working_time import History, local_epoch

AD_HOC_SHARE = 0.04
"""Requests from a customer outside any contract (no project)."""

_HOUR = 3600


@dataclass(frozen=True, slots=True)
class DayPlan:
    day: date
    count: int
    window_starts: tuple[int, ...]
    window_lengths: tuple[int, ...]
    window_shares: tuple[float, ...]
    projects: tuple[ProjectPlan, ...]
    project_weights: tuple[float, ...]

    def moments(self, rng: random.Random) -> list[int]:
        """`count` arrival instants on this day, in order."""
        chosen = rng.choices(range(len(self.window_starts)), self.window_shares, k=self.count)
        return sorted(
            self.window_starts[w] + int(rng.random() * self.window_lengths[w]) for w in chosen
        )

    def project(self, rng: random.Random) -> ProjectPlan:
        index = bisect_right(self.project_weights, rng.random() * self.project_weights[-1])
        return self.projects[min(index, len(self.projects) - 1)]


def plan_days(
    rng: random.Random, history: History, requests: int, projects: list[ProjectPlan]
) -> list[DayPlan]:
    """One plan per local day of the history; the counts add up to exactly `requests`."""
    calendar = history.calendar
    drafts: list[tuple[date, float, list[tuple[int, int, float]]]] = []
    for offset in range(history.days):
        day = history.start + timedelta(days=offset)
        if calendar.is_working_day(day):
            opens = local_epoch(calendar, day, calendar.day_start)
            closes = local_epoch(calendar, day, calendar.day_end)
            windows = [
                (opens, closes, 0.86),
                (closes, closes + 4 * _HOUR, 0.09),
                (opens - 2 * _HOUR, opens, 0.05),
            ]
            base = 1.0
        else:
            windows = [
                (local_epoch(calendar, day, time(8)), local_epoch(calendar, day, time(21)), 1.0)
            ]
            base = 0.14
        clipped = [
            (lo, min(hi, history.as_of) - lo, share * (min(hi, history.as_of) - lo) / (hi - lo))
            for lo, hi, share in windows
            if min(hi, history.as_of) > lo
        ]
        trend = 0.7 + 0.6 * offset / max(1, history.days - 1)
        weight = base * trend * rng.uniform(0.7, 1.3) * sum(share for _, _, share in clipped)
        drafts.append((day, weight, clipped))
    total = sum(weight for _, weight, _ in drafts) or 1.0
    plans: list[DayPlan] = []
    done = 0
    cumulative = 0.0
    fallback = (projects[0],)
    active_cache: dict[tuple[int, ...], tuple[tuple[ProjectPlan, ...], tuple[float, ...]]] = {}
    for day, weight, windows in drafts:
        cumulative += weight
        target = round(requests * cumulative / total)
        count, done = target - done, target
        active = tuple(p.index for p in projects if p.active_on(day)) or (fallback[0].index,)
        if active not in active_cache:
            chosen = tuple(projects[i] for i in active)
            active_cache[active] = (chosen, tuple(accumulate(p.weight for p in chosen)))
        chosen, weights = active_cache[active]
        plans.append(
            DayPlan(
                day=day, count=count,
                window_starts=tuple(lo for lo, _, _ in windows),
                window_lengths=tuple(length for _, length, _ in windows),
                window_shares=tuple(share for _, _, share in windows),
                projects=chosen, project_weights=weights,
            )
        )  # fmt: skip
    return plans


def expected_requests(plans: list[DayPlan]) -> dict[int, float]:
    """How many requests each project (by index) will receive, on average."""
    expected: dict[int, float] = {}
    for plan in plans:
        if not plan.count:
            continue
        total = plan.project_weights[-1]
        for project in plan.projects:
            share = plan.count * (1 - AD_HOC_SHARE) * project.weight / total
            expected[project.index] = expected.get(project.index, 0.0) + share
    return expected


def arrivals(rng: random.Random, plans: list[DayPlan]) -> Iterator[tuple[DayPlan, int]]:
    """Every request's (day plan, creation instant), in chronological order."""
    for plan in plans:
        if plan.count:
            for moment in plan.moments(rng):
                yield plan, moment
