"""SLA due dates: the per-priority policy counted in the company's business hours.

The arithmetic lives in `oversight.kit.business_hours`; this module only applies the policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from oversight.config import Settings
from oversight.kit.business_hours import add_business_time, extend_for_pause
from oversight.vocabulary import Priority


@dataclass(frozen=True, slots=True)
class DueDates:
    response_due_at: datetime
    resolution_due_at: datetime


def due_dates(settings: Settings, priority: Priority, created_at: datetime) -> DueDates:
    """When the first response and the resolution are due for a request created at `created_at`."""
    target = settings.sla.for_priority(priority)
    calendar = settings.company.calendar
    return DueDates(
        response_due_at=add_business_time(calendar, created_at, target.response),
        resolution_due_at=add_business_time(calendar, created_at, target.resolution),
    )


def resume_after_pause(
    settings: Settings, due: datetime, paused_at: datetime, resumed_at: datetime
) -> datetime:
    """The resolution due date after the clock was paused while awaiting the client."""
    return extend_for_pause(settings.company.calendar, due, paused_at, resumed_at)
