"""The parameters every KPI query takes: period, the moment 'now', filters."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from oversight.analytics.periods import Period
from oversight.analytics.schemas import PeriodRead
from oversight.kit.money import to_money


@dataclass(frozen=True, slots=True)
class KpiParams:
    """One KPI question. `as_of` is an aware UTC instant ('now' for snapshot KPIs)."""

    period: Period
    as_of: datetime
    timezone: str
    project_id: int | None = None
    customer_id: int | None = None
    engineer_id: int | None = None
    # profitability only: everything up to `period.end` instead of the period alone
    to_date: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return _zone(self.timezone)

    @property
    def utc_bounds(self) -> tuple[datetime, datetime]:
        return self.period.utc_bounds(self.zone)

    @property
    def today(self) -> date:
        """The company-local date of `as_of`."""
        return self.as_of.astimezone(self.zone).date()

    @property
    def period_read(self) -> PeriodRead:
        return PeriodRead(start=self.period.start, end=self.period.end)

    def cache_fields(self) -> tuple[object, ...]:
        return (
            self.period.start.isoformat(),
            self.period.end.isoformat(),
            self.as_of.isoformat(),
            self.timezone,
            self.project_id,
            self.customer_id,
            self.engineer_id,
            self.to_date,
        )


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def two_places(value: Decimal) -> Decimal:
    """Round half-up to two places (the project's one money rounding, `to_money`)."""
    return to_money(value)


def ratio_percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """`part / whole` as a percentage with two places; None when `whole` is zero."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def mean(total: int | Decimal, count: int, unit: int = 1) -> Decimal | None:
    """`total / count / unit` with two places; None when `count` is zero."""
    if not count:
        return None
    return two_places(Decimal(total) / Decimal(count) / Decimal(unit))
