"""The company's calendar and its SLA targets: `OVERSIGHT_COMPANY__*`, `OVERSIGHT_SLA__*`."""

from __future__ import annotations

import functools
from datetime import date, time, timedelta
from decimal import Decimal
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator
from pydantic_settings import NoDecode

from oversight.config.base import LIST_FROM_TEXT, _Group
from oversight.kit.business_hours import BusinessCalendar
from oversight.vocabulary import Priority

Weekdays = Annotated[frozenset[Annotated[int, Field(ge=1, le=7)]], NoDecode, LIST_FROM_TEXT]


class CompanySettings(_Group):
    name: str = "Oversight Demo Service Co."
    timezone: str = "Europe/Moscow"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "RUB"
    workdays: Annotated[frozenset[Annotated[int, Field(ge=1, le=7)]], NoDecode, LIST_FROM_TEXT] = (
        frozenset({1, 2, 3, 4, 5})
    )
    work_start: time = time(9, 0)
    work_end: time = time(18, 0)
    holidays: Annotated[frozenset[date], NoDecode, LIST_FROM_TEXT] = frozenset()
    invoice_payment_days: Annotated[int, Field(ge=0, le=365)] = 30

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (IANA name, e.g. Europe/Moscow)"
            ) from None
        return value

    @model_validator(mode="after")
    def _hours_in_order(self) -> Self:
        if not self.workdays:
            raise ValueError("workdays: at least one working day is needed")
        if self.work_end <= self.work_start:
            raise ValueError("work_end: must be later than work_start")
        return self

    @functools.cached_property
    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            timezone=ZoneInfo(self.timezone),
            workdays=frozenset(self.workdays),
            day_start=self.work_start,
            day_end=self.work_end,
            holidays=frozenset(self.holidays),
        )


class SlaTarget(_Group):
    """Business hours allowed for the first response and for resolution."""

    response_hours: Annotated[Decimal, Field(gt=0, le=10_000)]
    resolution_hours: Annotated[Decimal, Field(gt=0, le=10_000)]

    @model_validator(mode="after")
    def _response_first(self) -> Self:
        if self.resolution_hours < self.response_hours:
            raise ValueError("resolution_hours: must not be shorter than response_hours")
        return self

    @property
    def response(self) -> timedelta:
        return timedelta(seconds=int(self.response_hours * 3600))

    @property
    def resolution(self) -> timedelta:
        return timedelta(seconds=int(self.resolution_hours * 3600))


_DEFAULT_SLA_HOURS = {
    "critical": {"response_hours": 1, "resolution_hours": 4},
    "high": {"response_hours": 2, "resolution_hours": 9},
    "medium": {"response_hours": 4, "resolution_hours": 27},
    "low": {"response_hours": 9, "resolution_hours": 45},
}


class SlaSettings(_Group):
    """Per-priority targets in business hours; any single figure may be overridden alone."""

    critical: SlaTarget
    high: SlaTarget
    medium: SlaTarget
    low: SlaTarget

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        merged: dict[str, Any] = {}
        for priority, defaults in _DEFAULT_SLA_HOURS.items():
            given = data.get(priority, {})
            if isinstance(given, SlaTarget):
                given = given.model_dump()
            merged[priority] = {**defaults, **given} if isinstance(given, dict) else given
        return {**data, **merged}

    def for_priority(self, priority: Priority) -> SlaTarget:
        target: SlaTarget = getattr(self, Priority(priority).value)
        return target
