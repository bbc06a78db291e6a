"""Business time as a coordinate, for placing demo events quickly inside working hours.

SLA due dates are computed by `oversight.service_requests.sla` (exact, per request); this
table only decides *when* the simulated people act, and answers in O(log days) instead of
walking the calendar day by day for every event of a million requests.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime, time, timedelta

from oversight.kit.business_hours import BusinessCalendar

NEVER = 2**62
"""An instant after any history: the event has not happened yet."""

_ONE_DAY = timedelta(days=1)


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def utc(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def local_epoch(calendar: BusinessCalendar, day: date, at: time) -> int:
    return epoch(datetime.combine(day, at, tzinfo=calendar.timezone))


class WorkingTime:
    """Working intervals of `calendar` from `first_day` to `last_day` (local dates), numbered.

    `position(t)` is the business time (seconds) worked from the first interval up to the
    instant `t`; `instant(p)` is the earliest instant at which position `p` is reached, or
    `NEVER` past the last day.
    """

    def __init__(self, calendar: BusinessCalendar, first_day: date, last_day: date) -> None:
        self.calendar = calendar
        self._starts: list[int] = []
        self._lengths: list[int] = []
        self._before: list[int] = []
        total = 0
        day = first_day
        while day <= last_day:
            if calendar.is_working_day(day):
                start = local_epoch(calendar, day, calendar.day_start)
                end = local_epoch(calendar, day, calendar.day_end)
                if end > start:
                    self._starts.append(start)
                    self._lengths.append(end - start)
                    self._before.append(total)
                    total += end - start
            day += _ONE_DAY
        if not self._starts:
            raise ValueError(f"no working day between {first_day} and {last_day}")
        self.total = total
        self._days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 2)]
        self._midnights = [local_epoch(calendar, day, time(0)) for day in self._days]

    def position(self, moment: int) -> int:
        index = bisect_right(self._starts, moment) - 1
        if index < 0:
            return 0
        return self._before[index] + min(moment - self._starts[index], self._lengths[index])

    def instant(self, position: int) -> int:
        if position >= self.total:
            return NEVER
        index = bisect_right(self._before, position) - 1
        return self._starts[index] + position - self._before[index]

    def local_date(self, moment: int) -> date:
        index = bisect_right(self._midnights, moment) - 1
        if 0 <= index < len(self._days) - 1:
            return self._days[index]
        return datetime.fromtimestamp(moment, self.calendar.timezone).date()


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` months earlier, clamped to the month's length."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, _month_length(year, month + 1)))


def _month_length(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


class History:
    """The span the demo company has lived: local dates `start`..`end`, nothing after `as_of`.

    `as_of` is the end of local day `end`, or the current moment when the history ends today
    (the default), so that no demo event lies in the future.
    """

    PROJECTION_DAYS = 400

    def __init__(
        self, calendar: BusinessCalendar, end: date, months: int, as_of: int | None = None
    ) -> None:
        self.calendar = calendar
        self.end = end
        self.start = months_before(end, months)
        self.as_of = as_of if as_of is not None else local_epoch(calendar, end + _ONE_DAY, time(0))
        self.working = WorkingTime(
            calendar, self.start - timedelta(days=7), end + timedelta(days=self.PROJECTION_DAYS)
        )

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        """A local wall-clock moment as an aware UTC datetime, never later than `as_of`."""
        return utc(min(local_epoch(self.calendar, day, time(hour, minute)), self.as_of))
