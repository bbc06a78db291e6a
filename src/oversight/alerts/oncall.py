"""Who is on call at an instant — the one resolver of the hub (routing, escalation, the API,
the bot's /oncall and the CLI all ask `resolve`).

The rotation stored through the API wins while it exists (`oversight.alerts.rotation`);
otherwise the settings' rotation applies: explicit shifts, else a weekly turn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from oversight.alerts import rotation as stored_rotation
from oversight.alerts.rotation import StoredRotation
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


def resolve(session: Session, settings: Settings, now: datetime) -> OnCall | None:
    """Who is on call at `now`: by the stored rotation if there is one, else by the
    settings; None when neither names anybody."""
    stored = stored_rotation.load(session)
    if stored is None:
        return oncall_at(settings, now)
    if not stored.people:
        return None  # every member has been disabled since: nobody to page
    return stored_oncall_at(stored, ZoneInfo(settings.company.timezone), now)


def known_contacts(session: Session, settings: Settings) -> tuple[Contact, ...]:
    """Everyone an on-call notification may have been addressed to: the stored rotation's
    people and stand-ins, then the settings' people."""
    stored = stored_rotation.load(session)
    return (stored.contacts() if stored else ()) + settings.alerts.oncall.people


def _turn_start(stored: StoredRotation, zone: ZoneInfo, turn: int) -> datetime:
    """Where turn number `turn` begins. Shifts of whole days hand over at the same wall-clock
    time whatever daylight saving did in between; others are counted in elapsed hours."""
    if stored.shift % timedelta(days=1):
        return stored.first_handover + turn * stored.shift
    first = stored.first_handover.astimezone(zone)
    day = first.date() + turn * timedelta(days=stored.shift.days)
    return datetime.combine(day, first.time(), tzinfo=zone)


def stored_oncall_at(stored: StoredRotation, zone: ZoneInfo, now: datetime) -> OnCall:
    """The stored rotation at `now`: a stand-in covering `now` wins; otherwise the turn's
    person, until the turn ends or a stand-in begins, whichever comes first."""
    people = stored.people
    turn = (now - stored.first_handover) // stored.shift
    while _turn_start(stored, zone, turn) > now:
        turn -= 1
    while _turn_start(stored, zone, turn + 1) <= now:
        turn += 1
    regular = people[turn % len(people)]
    following = people[(turn + 1) % len(people)] if len(people) > 1 else None
    until = _turn_start(stored, zone, turn + 1)
    for stand_in in stored.stand_ins:
        if stand_in.starts_at <= now < stand_in.ends_at:
            person = stand_in.contact
            return OnCall(
                person=person,
                next_person=regular if regular != person else following,
                until=stand_in.ends_at,
            )
    upcoming = [s for s in stored.stand_ins if now < s.starts_at < until]
    if upcoming:
        first = min(upcoming, key=lambda s: s.starts_at)
        return OnCall(
            person=regular,
            next_person=first.contact if first.contact != regular else following,
            until=first.starts_at,
        )
    return OnCall(person=regular, next_person=following, until=until)


def oncall_at(settings: Settings, now: datetime) -> OnCall | None:
    """The settings' rotation at `now`, or None when no people are configured."""
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
