"""Alertmanager's webhook deliveries turned into alerts, status history and notifications.

Idempotent: an episode is its fingerprint and `startsAt`; a delivery repeating what is
already known changes nothing (Alertmanager re-sends firing alerts every repeat interval,
and retries a delivery it thinks failed). The whole payload is validated before anything
is written, so a malformed one leaves nothing behind.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from oversight.alerts import repository
from oversight.alerts.errors import MalformedPayload
from oversight.alerts.models import (
    Alert,
    AlertNotification,
    AlertStatus,
    AlertStatusChange,
    NotificationKind,
    NotificationState,
)
from oversight.alerts.routing import recipient, route_for
from oversight.alerts.schemas import IntakeResult, WebhookAlert, WebhookPayload
from oversight.config import Settings, Target
from oversight.kit.clock import utcnow

# Alertmanager's "no end" is the zero time; anything before this is no end time at all.
_NO_END_BEFORE = datetime(2000, 1, 1, tzinfo=UTC)


def parse_payload(body: bytes) -> WebhookPayload:
    """The payload, or MalformedPayload naming the first problem."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise MalformedPayload(f"body is not JSON: {error}") from None
    try:
        payload = WebhookPayload.model_validate(data)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise MalformedPayload(
            f"not an Alertmanager v4 payload: {where}: {problem['msg']}",
            details={"field": where, "problems": error.error_count()},
        ) from None
    for index, alert in enumerate(payload.alerts):
        if not alert.labels.get("alertname"):
            raise MalformedPayload(
                f"not an Alertmanager v4 payload: alerts.{index}.labels.alertname is missing",
                details={"field": f"alerts.{index}.labels.alertname"},
            )
    return payload


def ingest(
    session: Session, settings: Settings, payload: WebhookPayload, *, now: datetime | None = None
) -> IntakeResult:
    """Store what the payload says and queue the notifications it calls for (flush only)."""
    now = now or utcnow()
    repository.lock_for_writing(session)
    new = resolved = unchanged = 0
    for item in payload.alerts:
        known = repository.find_episode(session, item.fingerprint, item.starts_at)
        if known is None:
            alert = _insert(session, item, now)
            if alert is None:  # a concurrent delivery of the same payload stored it first
                unchanged += 1
            elif alert.status is AlertStatus.firing:
                new += 1
                queue_firing(session, settings, alert, now)
            else:
                resolved += 1
        elif known.status is AlertStatus.firing and item.status is AlertStatus.resolved:
            resolve(session, known, _end(item) or now, now)
            resolved += 1
        else:
            unchanged += 1
    return IntakeResult(
        received=len(payload.alerts), new=new, resolved=resolved, unchanged=unchanged
    )


def _end(item: WebhookAlert) -> datetime | None:
    if item.ends_at is None or item.ends_at < _NO_END_BEFORE:
        return None
    return item.ends_at


def _insert(session: Session, item: WebhookAlert, now: datetime) -> Alert | None:
    ends_at = _end(item) if item.status is AlertStatus.resolved else None
    alert = Alert(
        fingerprint=item.fingerprint,
        alertname=item.labels["alertname"][:200],
        severity=item.labels.get("severity", "").strip().lower()[:32],
        status=item.status,
        labels=dict(item.labels),
        annotations=dict(item.annotations),
        generator_url=item.generator_url or None,
        starts_at=item.starts_at,
        ends_at=(ends_at or now) if item.status is AlertStatus.resolved else None,
        received_at=now,
    )
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None
    session.add(
        AlertStatusChange(
            alert_id=alert.id, status=AlertStatus.firing, at=item.starts_at, received_at=now
        )
    )
    if alert.status is AlertStatus.resolved:
        assert alert.ends_at is not None
        session.add(
            AlertStatusChange(
                alert_id=alert.id, status=AlertStatus.resolved, at=alert.ends_at, received_at=now
            )
        )
    session.flush()
    return alert


def queue_firing(session: Session, settings: Settings, alert: Alert, now: datetime) -> None:
    """One notification per target of the severity's route (and an e-mail copy if the route
    says so); targets nobody is configured for are skipped."""
    route = route_for(settings, alert.severity)
    for target in route.targets:
        found = recipient(session, settings, target, now)
        if found is None:
            continue
        held = target is Target.digest
        session.add(
            _notification(
                alert,
                NotificationKind.firing,
                found.target,
                found.contact.name,
                NotificationState.held if held else NotificationState.pending,
                now,
            )
        )
        if route.email_too and not held and found.contact.email:
            copy = _notification(
                alert,
                NotificationKind.firing,
                found.target,
                found.contact.name,
                NotificationState.pending,
                now,
            )
            copy.email_only = True
            session.add(copy)
    session.flush()


def _notification(
    alert: Alert,
    kind: NotificationKind,
    target: Target,
    name: str,
    state: NotificationState,
    now: datetime,
) -> AlertNotification:
    return AlertNotification(
        alert_id=alert.id,
        kind=kind,
        target=target.value,
        recipient=name,
        state=state,
        created_at=now,
    )


def resolve(session: Session, alert: Alert, ends_at: datetime, now: datetime) -> None:
    """Mark the alert resolved and queue the in-place update of every message sent about it."""
    alert.status = AlertStatus.resolved
    alert.ends_at = ends_at
    session.add(
        AlertStatusChange(
            alert_id=alert.id, status=AlertStatus.resolved, at=ends_at, received_at=now
        )
    )
    queue_updates(session, alert, only_editable=False)


def queue_updates(session: Session, alert: Alert, *, only_editable: bool) -> None:
    """An update for each message sent about the alert: an in-place edit of a Telegram
    message; with `only_editable` False (resolution) also a new message to those reached by
    e-mail or WhatsApp. Held digest entries need none: the digest shows the state."""
    for sent in repository.sent_messages(session, alert.id):
        if sent.state is NotificationState.held or sent.target == Target.digest.value:
            continue  # the digest lists states; no message per info alert
        if sent.email_only or (sent.telegram_message_id is None and only_editable):
            continue
        update = AlertNotification(
            alert_id=alert.id,
            kind=NotificationKind.update,
            target=sent.target,
            recipient=sent.recipient,
            state=NotificationState.pending,
            edits_id=sent.id,
        )
        session.add(update)
    session.flush()
