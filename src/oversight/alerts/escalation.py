"""Escalation: a critical alert nobody acknowledged within `ack_minutes` goes to the next
person of the rotation, and after as long again to the admin."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from oversight.alerts import oncall, repository
from oversight.alerts.models import AlertNotification, NotificationKind, NotificationState
from oversight.config import Contact, Settings, Target
from oversight.observability.logging import get_logger

log = get_logger("oversight.alerts")
TO_ADMIN = 2


def escalate_due(session: Session, settings: Settings, *, now: datetime) -> int:
    """Queue the next escalation of every critical alert whose wait has run out; how many."""
    wait = timedelta(minutes=settings.alerts.ack_minutes)
    repository.lock_for_writing(session)
    escalated = 0
    for alert in repository.unacknowledged_critical(session):
        if (
            alert.escalation_level >= TO_ADMIN
            or now - (alert.escalated_at or alert.received_at) < wait
        ):
            continue
        level, target, contact = _next_step(session, settings, alert.escalation_level, now)
        alert.escalation_level = level
        alert.escalated_at = now
        if contact is None:
            log.warning("alert_escalation_nobody", alert_id=alert.id, level=level)
            continue
        session.add(
            AlertNotification(
                alert_id=alert.id,
                kind=NotificationKind.escalation,
                target=target.value,
                recipient=contact.name,
                state=NotificationState.pending,
                created_at=now,
            )
        )
        log.info("alert_escalated", alert_id=alert.id, level=level, target=target.value)
        escalated += 1
    session.flush()
    return escalated


def _next_step(
    session: Session, settings: Settings, level: int, now: datetime
) -> tuple[int, Target, Contact | None]:
    if level == 0:
        rotation = oncall.resolve(session, settings, now)
        if rotation is not None and rotation.next_person is not None:
            return 1, Target.oncall, rotation.next_person
    return TO_ADMIN, Target.admin, settings.alerts.admin
