"""Who is on call at an instant: explicit shifts from the settings, else a weekly rotation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from oversight.config import Contact, Settings


@dataclass(frozen=True, slots=True)
class OnCall:
    """The person on call, the next one in the rotation (the first escalation), and when the
    current turn ends (None when unknown: the last explicit shift)."""

    person: Contact
    next_person: Contact | None
    until: datetime | None


def _by_name(settings: Settings, name: str) -> Contact:
    return next(p for p in settings.alerts.oncall.people if p.name == name)


def _after(people: tuple[Contact, ...], person: Contact) -> Contact | None:
    if len(people) < 2:
        return None
    return people[(people.index(person) + 1) % len(people)]


def oncall_at(settings: Settings, now: datetime) -> OnCall | None:
    """The rotation at `now`, or None when no people are configured."""
    rotation = settings.alerts.oncall
    people = rotation.people
    if not people:
        return None
    started = sorted(
        (shift for shift in rotation.shifts if shift.starts_at <= now), key=lambda s: s.starts_at
    )
    if started:
        current = _by_name(settings, started[-1].name)
        upcoming = sorted(
            (shift for shift in rotation.shifts if shift.starts_at > now),
            key=lambda s: s.starts_at,
        )
        return OnCall(
            person=current,
            next_person=_by_name(settings, upcoming[0].name)
            if upcoming
            else _after(people, current),
            until=upcoming[0].starts_at if upcoming else None,
        )
    zone = ZoneInfo(settings.company.timezone)
    start_day = rotation.rotation_start - timedelta(
        days=(rotation.rotation_start.isoweekday() - rotation.handover_weekday) % 7
    )
    first = datetime.combine(start_day, rotation.handover_time, tzinfo=zone)
    weeks = (now - first) // timedelta(weeks=1)
    # Wall-clock hand-overs: each one at handover_time local, whatever DST did in between.
    turn_start = datetime.combine(
        start_day + timedelta(weeks=weeks), rotation.handover_time, tzinfo=zone
    )
    if turn_start > now:
        weeks -= 1
    until_day = start_day + timedelta(weeks=weeks + 1)
    current = people[weeks % len(people)]
    return OnCall(
        person=current,
        next_person=_after(people, current),
        until=datetime.combine(until_day, rotation.handover_time, tzinfo=zone),
    )
