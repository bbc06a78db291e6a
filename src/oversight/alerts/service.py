"""What people do with alerts — from the API or the Telegram bot, through these functions:
list, acknowledge, silence, press a message button, see who is on call and the statistics.

Every function checks the acting user's role against the permission table (resource
`alerts`), so the bot and the API refuse exactly the same people. Services only flush.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from oversight.alerts import intake, oncall, repository, rotation
from oversight.alerts import stats as alert_stats_module
from oversight.alerts.alertmanager import AlertmanagerClient
from oversight.alerts.errors import SilenceFailed
from oversight.alerts.models import Alert, AlertSilence, AlertStatus
from oversight.alerts.oncall import OnCall
from oversight.alerts.schemas import (
    AlertStats,
    OnCallRead,
    RotationPerson,
    RotationRead,
    RotationWrite,
    StandInRead,
)
from oversight.audit.events import record_event
from oversight.auth.models import User
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.config import Contact, Settings, get_settings
from oversight.errors import NotFound, PermissionDenied
from oversight.kit.clock import utcnow
from oversight.kit.pagination import PageParams

# "Until resolved" silences are sent with this end (Alertmanager needs one) and expired by the
# hub when the alert resolves.
UNTIL_RESOLVED_CAP = timedelta(days=30)
_BUTTON = re.compile(
    r"^alert:(?:ack:(?P<ack>[0-9]{1,18})|sil:(?P<sil>[0-9]{1,18}):(?P<len>1h|4h|res))$"
)
_BUTTON_LENGTHS: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "4h": timedelta(hours=4),
    "res": None,
}


def _actor(session: Session, user_id: int, action: Action) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise PermissionDenied("this account may not act on alerts")
    if not is_allowed(user.role, Resource.alerts, action):
        raise PermissionDenied(f"role {user.role.value!r} may not {action.value} alerts")
    return user


def _as_actor(user: User) -> dict[str, object]:
    """The acting user as the audit event's actor, whether or not a principal is bound (the bot
    acts for a linked user)."""
    return {
        "actor_type": "user",
        "actor_id": user.id,
        "actor_name": user.username,
        "actor_role": user.role.value,
    }


def list_alerts(
    session: Session,
    *,
    params: PageParams,
    status: AlertStatus | None = None,
    severity: str | None = None,
    acknowledged: bool | None = None,
) -> tuple[Sequence[Alert], int]:
    """One page of alerts, newest first unless `params.sort` says otherwise, and the total."""
    return repository.list_alerts(
        session, params, status=status, severity=severity, acknowledged=acknowledged
    )


def get_alert(session: Session, *, alert_id: int) -> Alert:
    return repository.get_alert_or_raise(session, alert_id)


def acknowledge_alert(
    session: Session, *, alert_id: int, user_id: int, channel: str, now: datetime | None = None
) -> Alert:
    """Record who acknowledged the alert and when (the first acknowledgement stands; a second
    one changes nothing). Stops its escalation and queues the in-place edit of its Telegram
    messages. PermissionDenied for a role that may not; NotFound for an unknown alert."""
    repository.lock_for_writing(session)
    user = _actor(session, user_id, Action.acknowledge)
    alert = repository.get_alert_or_raise(session, alert_id)
    if alert.acknowledged_at is not None:
        return alert
    alert.acknowledged_at = now or utcnow()
    alert.acknowledged_by_id = user.id
    alert.acknowledged_via = channel[:16]
    record_event(
        session,
        "alert.acknowledged",
        entity_type="alert",
        entity_id=alert.id,
        details={"channel": channel, "alertname": alert.alertname},
        actor=_as_actor(user),
    )
    intake.queue_updates(session, alert, only_editable=True)
    session.flush()
    return alert


def silence_alert(
    session: Session,
    *,
    alert_id: int,
    user_id: int,
    duration: timedelta | None,
    settings: Settings | None = None,
    alertmanager: AlertmanagerClient | None = None,
    now: datetime | None = None,
) -> AlertSilence:
    """Create an Alertmanager silence (API v2) whose matchers are the alert's labels, for
    `duration` or (None) until the alert resolves, and record its id. SilenceFailed (502) if
    Alertmanager does not take it — then nothing is recorded."""
    settings = settings or get_settings()
    repository.lock_for_writing(session)
    user = _actor(session, user_id, Action.silence)
    alert = repository.get_alert_or_raise(session, alert_id)
    now = now or utcnow()
    if duration is not None and duration <= timedelta(0):
        raise ValueError("duration must be positive")
    ends_at = now + (duration if duration is not None else UNTIL_RESOLVED_CAP)
    client = alertmanager or AlertmanagerClient(settings.alerts.alertmanager_url)
    silence_id = client.create_silence(
        labels={str(k): str(v) for k, v in alert.labels.items()},
        starts_at=now,
        ends_at=ends_at,
        created_by=f"oversight:{user.username}",
        comment=f"Oversight alert #{alert.id} ({alert.alertname}), "
        + ("until resolved" if duration is None else f"for {duration}"),
    )
    silence = AlertSilence(
        alert_id=alert.id,
        silence_id=silence_id,
        created_by_id=user.id,
        created_at=now,
        ends_at=ends_at,
        until_resolved=duration is None,
    )
    session.add(silence)
    record_event(
        session,
        "alert.silenced",
        entity_type="alert",
        entity_id=alert.id,
        details={
            "silence_id": silence_id,
            "ends_at": ends_at.isoformat(),
            "until_resolved": duration is None,
        },
        actor=_as_actor(user),
    )
    session.flush()
    return silence


def handle_alert_button(
    session: Session,
    *,
    user_id: int,
    data: str,
    sent_at: datetime,
    settings: Settings | None = None,
    alertmanager: AlertmanagerClient | None = None,
    now: datetime | None = None,
) -> str:
    """Carry out a press of a button of an alert message (`alert:ack:<id>`,
    `alert:sil:<id>:1h|4h|res`) for the linked user, and return the short answer to show.
    Buttons of a message sent more than `button_window_hours` ago answer "expired"."""
    settings = settings or get_settings()
    now = now or utcnow()
    found = _BUTTON.match(data)
    if found is None:
        return "Unknown button."
    if now - sent_at > timedelta(hours=settings.alerts.button_window_hours):
        return "expired"
    repository.lock_for_writing(session)
    try:
        if found["ack"]:
            alert_id = int(found["ack"])
            before = repository.get_alert_or_raise(session, alert_id).acknowledged_by_id
            alert = acknowledge_alert(
                session, alert_id=alert_id, user_id=user_id, channel="telegram", now=now
            )
            if before is not None and before != user_id:
                return f"Alert #{alert.id} was already acknowledged."
            return f"Acknowledged alert #{alert.id}."
        alert_id = int(found["sil"])
        length = _BUTTON_LENGTHS[found["len"]]
        silence_alert(
            session,
            alert_id=alert_id,
            user_id=user_id,
            duration=length,
            settings=settings,
            alertmanager=alertmanager,
            now=now,
        )
        span = "until resolved" if length is None else f"for {found['len']}"
        return f"Silenced alert #{alert_id} {span}."
    except PermissionDenied:
        return "You may not do that."
    except NotFound:
        return "That alert no longer exists."
    except SilenceFailed:
        return "Alertmanager did not accept the silence; try again or use amtool."


def oncall_now(
    session: Session, *, settings: Settings, now: datetime | None = None
) -> OnCall | None:
    """Who is on call now and who is next, by the stored rotation or else the settings'
    (None when neither names anybody)."""
    return oncall.resolve(session, settings, now or utcnow())


def oncall_read(duty: OnCall | None) -> OnCallRead | None:
    if duty is None:
        return None
    return OnCallRead(
        name=duty.person.name,
        next=duty.next_person.name if duty.next_person else None,
        until=duty.until,
    )


def _person(contact: Contact, username: str | None) -> RotationPerson:
    return RotationPerson(
        username=username,
        name=contact.name,
        telegram=contact.telegram_chat_id is not None,
        email=contact.email is not None,
    )


def read_rotation(
    session: Session, *, settings: Settings, now: datetime | None = None
) -> RotationRead:
    """The rotation in force (stored, else the settings'), and who is on call now."""
    now = now or utcnow()
    duty = oncall_read(oncall.resolve(session, settings, now))
    stored = rotation.load(session)
    if stored is None:
        people = settings.alerts.oncall.people
        return RotationRead(
            source="settings" if people else "none",
            people=[_person(contact, None) for contact in people],
            first_handover=None,
            shift_hours=None,
            stand_ins=[],
            updated_at=None,
            updated_by_id=None,
            now=duty,
        )
    return RotationRead(
        source="api",
        people=[
            _person(contact, username)
            for contact, username in zip(stored.people, stored.usernames, strict=True)
        ],
        first_handover=stored.first_handover,
        shift_hours=int(stored.shift.total_seconds() // 3600),
        stand_ins=[
            StandInRead(
                person=_person(entry.contact, entry.username),
                starts_at=entry.starts_at,
                ends_at=entry.ends_at,
            )
            for entry in stored.stand_ins
        ],
        updated_at=stored.updated_at,
        updated_by_id=stored.updated_by_id,
        now=duty,
    )


def rotation_order(session: Session, *, settings: Settings) -> list[str]:
    """The names of the rotation in force, in turn order (stored, else the settings')."""
    stored = rotation.load(session)
    people = stored.people if stored is not None else settings.alerts.oncall.people
    return [person.name for person in people]


def set_rotation(session: Session, *, settings: Settings, body: RotationWrite) -> RotationRead:
    """Store the rotation (see `rotation.replace` for what is refused) and describe it."""
    rotation.replace(session, settings=settings, body=body)
    return read_rotation(session, settings=settings)


def clear_rotation(session: Session, *, settings: Settings) -> RotationRead:
    """Remove the stored rotation (the settings' one applies again) and describe what is in
    force; NotFound when none is stored."""
    if not rotation.clear(session):
        raise NotFound("no on-call rotation is stored; the settings' rotation is in force")
    return read_rotation(session, settings=settings)


def alert_stats(
    session: Session,
    *,
    settings: Settings,
    since: datetime | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> AlertStats:
    """MTTR, time to acknowledge and noise per ISO week and per alert name, with their goals,
    and KPI adoption per role; over [since, until), by default the last 28 days."""
    now = now or utcnow()
    until = until or now
    since = since or until - timedelta(days=28)
    return alert_stats_module.compute(session, settings, since=since, until=until, now=now)


def firing_alerts(session: Session, *, limit: int = 20) -> tuple[Sequence[Alert], int]:
    """The firing alerts, newest first (at most `limit`), and how many fire in all."""
    return repository.list_alerts(
        session, PageParams(page=1, page_size=limit), status=AlertStatus.firing
    )


def acknowledger(session: Session, alert: Alert) -> str | None:
    """The name of who acknowledged `alert` (None: nobody, or the user is gone)."""
    if alert.acknowledged_by_id is None:
        return None
    user = session.get(User, alert.acknowledged_by_id)
    return None if user is None else (user.full_name or user.username)
