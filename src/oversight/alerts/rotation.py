"""The on-call rotation an administrator stores through the API, which wins over the one in
the settings while it exists: people (users) in turn order, shifts of `shift_hours` from
`first_handover`, and stand-ins who take over for a while.

A member is reached as their user: the Telegram account linked to the bot and the user's
e-mail address. The bot's links live above this package (in `oversight.telegram`), so the
lookup of a user's chat is installed by `oversight.wiring.install()` through
`use_chat_lookup`, as every entry point does.

Services only flush; the change is one audit event (`alerts.oncall_set` or
`alerts.oncall_cleared`) carrying the whole rotation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from oversight.alerts import repository
from oversight.alerts.models import OnCallMember, OnCallOverride, OnCallRotation
from oversight.alerts.schemas import RotationWrite
from oversight.audit.events import record_event
from oversight.auth.models import User
from oversight.auth.principal import bound_principal
from oversight.config import Contact, Settings
from oversight.errors import InvalidInput
from oversight.kit.clock import utcnow

ChatLookup = Callable[[Session, int], int | None]
_chat_lookup: list[ChatLookup] = []


def use_chat_lookup(lookup: ChatLookup) -> None:
    """Install how a user's Telegram chat is found (the bot's links); called by the wiring."""
    _chat_lookup[:] = [lookup]


def _chat_of(session: Session, user_id: int) -> int | None:
    if not _chat_lookup:
        raise RuntimeError(
            "no Telegram chat lookup installed: entry points call oversight.wiring.install()"
        )
    return _chat_lookup[0](session, user_id)


@dataclass(frozen=True, slots=True)
class StandIn:
    contact: Contact
    username: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class StoredRotation:
    """The stored rotation with its people resolved to contacts (in turn order)."""

    people: tuple[Contact, ...]
    usernames: tuple[str, ...]
    first_handover: datetime
    shift: timedelta
    stand_ins: tuple[StandIn, ...]
    updated_at: datetime
    updated_by_id: int | None

    def contacts(self) -> tuple[Contact, ...]:
        """Everyone the rotation may name: its people, then stand-ins from outside it."""
        extra: list[Contact] = []
        for stand_in in self.stand_ins:
            if stand_in.contact not in self.people and stand_in.contact not in extra:
                extra.append(stand_in.contact)
        return self.people + tuple(extra)


def display_name(user: User) -> str:
    """How messages name a member: the full name, else the username (at most 80 chars)."""
    return (user.full_name or user.username)[:80]


def contact_of(session: Session, user: User) -> Contact:
    """How the hub reaches `user`. Built without the settings' validation: the users service
    checked the e-mail already, and an address it let through must not stop alert routing."""
    return Contact.model_construct(
        name=display_name(user), telegram_chat_id=_chat_of(session, user.id), email=user.email
    )


def load(session: Session) -> StoredRotation | None:
    """The stored rotation, or None when the settings' rotation applies."""
    rotation = repository.stored_rotation(session)
    if rotation is None:
        return None
    # A member disabled since the rotation was stored is skipped (turns go round the others):
    # someone who left must not be paged, nor silently keep a turn nobody answers.
    members = [user for user in repository.rotation_members(session, rotation.id) if user.is_active]
    stand_ins = [
        (entry, user)
        for entry, user in repository.rotation_stand_ins(session, rotation.id)
        if user.is_active
    ]
    return StoredRotation(
        people=tuple(contact_of(session, user) for user in members),
        usernames=tuple(user.username for user in members),
        first_handover=rotation.first_handover,
        shift=timedelta(hours=rotation.shift_hours),
        stand_ins=tuple(
            StandIn(contact_of(session, user), user.username, entry.starts_at, entry.ends_at)
            for entry, user in stand_ins
        ),
        updated_at=rotation.updated_at,
        updated_by_id=rotation.updated_by_id,
    )


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    """A time as given: with its offset, or (without one) in the company's time zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _reachable_user(session: Session, users: dict[str, User], username: str, where: str) -> User:
    user = users.get(username)
    if user is None:
        raise InvalidInput(f"{where}: no user named {username!r}", details={"field": where})
    if not user.is_active:
        raise InvalidInput(
            f"{where}: user {username!r} is disabled and cannot be on call",
            details={"field": where},
        )
    if user.email is None and _chat_of(session, user.id) is None:
        raise InvalidInput(
            f"{where}: user {username!r} has neither a linked Telegram account nor an e-mail "
            "address, so no alert could reach them (link Telegram with `/link`, or set an "
            "e-mail)",
            details={"field": where},
        )
    return user


def _check_names(people: Sequence[User]) -> None:
    seen: dict[str, str] = {}
    for index, user in enumerate(people):
        name = display_name(user)
        if name in seen:
            raise InvalidInput(
                f"people.{index}: {user.username!r} and {seen[name]!r} are both called "
                f"{name!r}; messages name the person on call, so give them different full names",
                details={"field": f"people.{index}"},
            )
        seen[name] = user.username


def replace(
    session: Session, *, settings: Settings, body: RotationWrite, now: datetime | None = None
) -> StoredRotation:
    """Store `body` as the rotation (replacing any stored one) after checking it: at least
    one person, no one twice, every person and stand-in an active user reachable by Telegram
    or e-mail, stand-ins that end after they start and do not overlap. InvalidInput naming
    the first problem, and nothing written."""
    zone = ZoneInfo(settings.company.timezone)
    if not body.people:
        raise InvalidInput(
            "people: the rotation is empty; give at least one username "
            "(DELETE the rotation to go back to the settings' one)",
            details={"field": "people"},
        )
    for index, username in enumerate(body.people):
        if username in body.people[:index]:
            raise InvalidInput(
                f"people.{index}: {username!r} is listed twice",
                details={"field": f"people.{index}"},
            )
    users = repository.users_named(
        session, set(body.people) | {entry.person for entry in body.stand_ins}
    )
    people = [
        _reachable_user(session, users, username, f"people.{index}")
        for index, username in enumerate(body.people)
    ]
    _check_names(people)
    spans: list[tuple[User, datetime, datetime]] = []
    for index, entry in enumerate(body.stand_ins):
        where = f"stand_ins.{index}"
        user = _reachable_user(session, users, entry.person, f"{where}.person")
        starts, ends = _local(entry.starts_at, zone), _local(entry.ends_at, zone)
        if ends <= starts:
            raise InvalidInput(
                f"{where}: ends_at ({ends.isoformat()}) must be after starts_at "
                f"({starts.isoformat()})",
                details={"field": f"{where}.ends_at"},
            )
        for other_index, (_, other_starts, other_ends) in enumerate(spans):
            if starts < other_ends and other_starts < ends:
                raise InvalidInput(
                    f"{where} ({entry.person}, {starts.isoformat()} to {ends.isoformat()}) "
                    f"overlaps stand_ins.{other_index} ({body.stand_ins[other_index].person}, "
                    f"{other_starts.isoformat()} to {other_ends.isoformat()}): "
                    "only one person can stand in at a time",
                    details={"field": where},
                )
        spans.append((user, starts, ends))
    repository.delete_rotation(session)
    rotation = OnCallRotation(
        first_handover=_local(body.first_handover, zone),
        shift_hours=body.shift_hours,
        updated_at=now or utcnow(),
        updated_by_id=_acting_user_id(session),
    )
    session.add(rotation)
    session.flush()
    session.add_all(
        OnCallMember(rotation_id=rotation.id, position=position, user_id=user.id)
        for position, user in enumerate(people)
    )
    session.add_all(
        OnCallOverride(rotation_id=rotation.id, user_id=user.id, starts_at=starts, ends_at=ends)
        for user, starts, ends in spans
    )
    record_event(
        session,
        "alerts.oncall_set",
        entity_type="oncall_rotation",
        entity_id=rotation.id,
        details={
            "people": list(body.people),
            "first_handover": rotation.first_handover.isoformat(),
            "shift_hours": body.shift_hours,
            "stand_ins": [
                {"person": user.username, "starts_at": s.isoformat(), "ends_at": e.isoformat()}
                for user, s, e in spans
            ],
        },
    )
    session.flush()
    stored = load(session)
    assert stored is not None
    return stored


def clear(session: Session) -> bool:
    """Remove the stored rotation (the settings' one applies again); whether there was one."""
    rotation = repository.stored_rotation(session)
    if rotation is None:
        return False
    rotation_id = rotation.id
    repository.delete_rotation(session)
    record_event(
        session, "alerts.oncall_cleared", entity_type="oncall_rotation", entity_id=rotation_id
    )
    session.flush()
    return True


def _acting_user_id(session: Session) -> int | None:
    principal = bound_principal(session)
    return None if principal is None else principal.user_id
