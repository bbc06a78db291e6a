"""Business-hours arithmetic for SLA due dates, exact to the microsecond.

Working hours are local wall-clock times in the calendar's timezone. Each working day
contributes the real elapsed time (UTC difference) between its local ``day_start`` and
``day_end``, so a 09:00-18:00 day is 9h even on a DST weekend, and a day whose working
hours contain a transition counts 1h less (spring forward) or more (fall back).
Local times are resolved with PEP 495 ``fold=0``: an ambiguous time is its first
occurrence, a non-existent time is read with the offset in force before the gap.
A day whose resolved end is not after its resolved start contributes nothing.

All arithmetic is done on UTC datetimes; every datetime returned is in ``UTC``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

Interval = tuple[datetime, datetime]
Pause = tuple[datetime, datetime | None]

MAX_IDLE_DAYS = 3660
_ONE_DAY = timedelta(days=1)


def _utc(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime: {name}={value.isoformat()} has no timezone")
    return value.astimezone(UTC)


@functools.lru_cache(maxsize=65_536)
def _local_instant(timezone: ZoneInfo, day: date, at: time) -> datetime:
    """The UTC instant of local wall time `at` on `day`; cached because zone conversion is the
    hot spot of every due-date computation (bulk loads compute millions)."""
    return datetime.combine(day, at, tzinfo=timezone).replace(fold=0).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When the company works: ``workdays`` (ISO 1=Mon..7=Sun) from ``day_start`` to
    ``day_end`` local time in ``timezone``, except on ``holidays`` (local dates)."""

    timezone: ZoneInfo
    workdays: frozenset[int]
    day_start: time
    day_end: time
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        if not self.workdays:
            raise ValueError("calendar has no working days")
        if not self.workdays <= frozenset(range(1, 8)):
            raise ValueError(f"workdays must be ISO weekdays 1..7, got {sorted(self.workdays)}")
        if self.day_start.tzinfo is not None or self.day_end.tzinfo is not None:
            raise ValueError("day_start and day_end must be naive local times")
        if self.day_end <= self.day_start:
            raise ValueError(
                f"day_end {self.day_end.isoformat()} must be after "
                f"day_start {self.day_start.isoformat()}"
            )

    def is_working_day(self, day: date) -> bool:
        """True if ``day`` (a local date) is a workday and not a holiday."""
        return day.isoweekday() in self.workdays and day not in self.holidays

    def working_intervals(self, start: datetime, end: datetime) -> Iterator[Interval]:
        """Yield, in order, the disjoint UTC working intervals intersected with [start, end)."""
        start, end = _utc(start, "start"), _utc(end, "end")
        if end <= start:
            return
        last_day = end.astimezone(self.timezone).date() + _ONE_DAY
        for lo, hi in self._day_intervals(start, last_day):
            if lo >= end:
                return
            yield lo, min(hi, end)

    def _local(self, day: date, at: time) -> datetime:
        return _local_instant(self.timezone, day, at)

    def _day_intervals(self, start: datetime, last_day: date | None) -> Iterator[Interval]:
        """Working intervals clipped to begin at ``start`` (UTC), day by day up to
        ``last_day``; unbounded if None, then raising after MAX_IDLE_DAYS idle days."""
        day = start.astimezone(self.timezone).date() - _ONE_DAY
        idle = 0
        previous_end = start
        while last_day is None or day <= last_day:
            if self.is_working_day(day):
                idle = 0
                lo = max(self._local(day, self.day_start), previous_end)
                hi = self._local(day, self.day_end)
                if lo < hi:
                    yield lo, hi
                    previous_end = hi
            else:
                idle += 1
                if last_day is None and idle >= MAX_IDLE_DAYS:
                    raise ValueError(
                        f"no working day in {MAX_IDLE_DAYS} consecutive days after "
                        f"{day - timedelta(days=idle - 1)}: do the holidays cover everything?"
                    )
            day += _ONE_DAY


def _merge_pauses(pauses: Sequence[Pause], open_until: datetime | None) -> list[Interval]:
    """Pauses as sorted, disjoint UTC intervals. An open pause (end None) lasts until
    ``open_until``; if that is None too, the result is unknowable and ValueError is raised."""
    spans: list[Interval] = []
    for index, (pause_start, pause_end) in enumerate(pauses):
        lo = _utc(pause_start, f"pauses[{index}] start")
        if pause_end is None:
            if open_until is None:
                raise ValueError(
                    f"pauses[{index}] starting {lo.isoformat()} has not ended: "
                    "the deadline is unknown while the clock is paused"
                )
            hi = max(lo, open_until)
        else:
            hi = _utc(pause_end, f"pauses[{index}] end")
            if hi < lo:
                raise ValueError(f"pauses[{index}] ends {hi.isoformat()} before it starts")
        if lo < hi:
            spans.append((lo, hi))
    spans.sort()
    merged: list[Interval] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _without_pauses(intervals: Iterable[Interval], pauses: list[Interval]) -> Iterator[Interval]:
    """The parts of sorted disjoint ``intervals`` not covered by merged ``pauses``."""
    first = 0
    for lo, hi in intervals:
        while first < len(pauses) and pauses[first][1] <= lo:
            first += 1
        cursor, index = lo, first
        while index < len(pauses) and pauses[index][0] < hi and cursor < hi:
            pause_start, pause_end = pauses[index]
            if pause_start > cursor:
                yield cursor, pause_start
            cursor = max(cursor, pause_end)
            index += 1
        if cursor < hi:
            yield cursor, hi


def add_business_time(
    calendar: BusinessCalendar,
    start: datetime,
    duration: timedelta,
    pauses: Sequence[Pause] = (),
) -> datetime:
    """The UTC instant at which ``duration`` of business time has elapsed since ``start``,
    not counting business time inside ``pauses`` ([start, end) intervals, in any order,
    possibly overlapping or outside working hours).

    If ``start`` is outside working hours the clock starts at the next working moment.
    A positive duration ends inside working time or exactly at the end of a working
    day (9h from Mon 09:00 on a 09:00-18:00 calendar is Mon 18:00, not Tue 09:00).
    A zero duration is due immediately: ``start`` is returned as is (in UTC), even
    outside working hours. Raises ValueError for a negative duration, a naive datetime,
    or a pause that has not ended (the deadline is then unknown).
    """
    start = _utc(start, "start")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}")
    merged = _merge_pauses(pauses, open_until=None)
    if duration == timedelta(0):
        return start
    remaining = duration
    for lo, hi in _without_pauses(calendar._day_intervals(start, None), merged):
        if remaining <= hi - lo:
            return lo + remaining
        remaining -= hi - lo
    raise AssertionError("unreachable: the working-day iterator is unbounded")


def business_time_between(
    calendar: BusinessCalendar,
    start: datetime,
    end: datetime,
    pauses: Sequence[Pause] = (),
) -> timedelta:
    """Business time in [start, end) minus the business time inside ``pauses``.

    An open pause (end None) counts as paused up to ``end``. Returns timedelta(0) if
    ``end <= start``. Inverse of add_business_time: for d >= 0 and the same pauses,
    ``business_time_between(c, s, add_business_time(c, s, d, p), p) == d``.
    """
    start, end = _utc(start, "start"), _utc(end, "end")
    merged = _merge_pauses(pauses, open_until=end)
    total = timedelta(0)
    for lo, hi in _without_pauses(calendar.working_intervals(start, end), merged):
        total += hi - lo
    return total


def extend_for_pause(
    calendar: BusinessCalendar, due: datetime, paused_at: datetime, resumed_at: datetime
) -> datetime:
    """``due`` adjusted for one pause [paused_at, resumed_at), in UTC.

    If the pause began at or after ``due`` the clock had already run out and ``due`` is
    returned unchanged. Otherwise the business time that was left at ``paused_at`` is
    counted again from ``resumed_at``. The result is never earlier than ``due``.
    """
    due, paused_at = _utc(due, "due"), _utc(paused_at, "paused_at")
    resumed_at = _utc(resumed_at, "resumed_at")
    if resumed_at < paused_at:
        raise ValueError(
            f"resumed_at {resumed_at.isoformat()} is before paused_at {paused_at.isoformat()}"
        )
    if paused_at >= due:
        return due
    left = business_time_between(calendar, paused_at, due)
    return max(due, add_business_time(calendar, resumed_at, left))
