"""Reporting periods: calendar days in the company's timezone, turned into UTC instants.

A period is an inclusive range of local dates. Timestamps (stored in UTC) fall in the period
when `utc_start <= t < utc_end`, the UTC instants of local midnight at the start of the first
day and of the day after the last. Dates (invoice and work-log dates) are already local.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

MAX_PERIOD_DAYS = 3 * 366


def local_midnight(day: date, timezone: ZoneInfo) -> datetime:
    """The UTC instant at which local `day` begins."""
    return datetime.combine(day, time(0), tzinfo=timezone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Period:
    """Local dates `start`..`end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        if self.days > MAX_PERIOD_DAYS:
            raise ValueError(f"period is longer than {MAX_PERIOD_DAYS} days")

    @classmethod
    def month_of(cls, day: date) -> Period:
        first = day.replace(day=1)
        next_first = (first + timedelta(days=32)).replace(day=1)
        return cls(first, next_first - timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def weeks(self) -> Decimal:
        """Weeks in the period, `days / 7` exactly (a 31-day month is 4.43 weeks)."""
        return Decimal(self.days) / Decimal(7)

    def dates(self) -> Iterator[date]:
        for offset in range(self.days):
            yield self.start + timedelta(days=offset)

    def utc_bounds(self, timezone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of the first day, local midnight after the last."""
        return (
            local_midnight(self.start, timezone),
            local_midnight(self.end + timedelta(days=1), timezone),
        )
