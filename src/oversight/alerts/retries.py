"""Notifications whose whole chain failed, sent again later.

When Telegram, e-mail and the WhatsApp proxy all fail, the notification is recorded as
failed with a `retry_at`; the `alerts_retry` job puts the due ones back in the queue (one
more round each) and delivers them, with a wait that doubles each round. Retrying stops when
the alert resolves or is acknowledged (the message would say something no longer true), or
when the notification is older than `max_age_hours`. Only firing and escalation messages of
the configured severities are retried; every round's attempts are recorded with its number.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from oversight.alerts import repository
from oversight.alerts.models import Alert, AlertNotification, AlertStatus, NotificationKind
from oversight.alerts.models import NotificationState as State
from oversight.config import Settings
from oversight.observability.logging import get_logger

log = get_logger("oversight.alerts")
_RETRIED_KINDS = frozenset({NotificationKind.firing, NotificationKind.escalation})


def _why_not(settings: Settings, notification: AlertNotification, alert: Alert) -> str | None:
    """Why this notification is no longer worth sending (None: it is)."""
    if notification.kind not in _RETRIED_KINDS:
        return "kind"
    if alert.severity not in settings.alerts.retry.severities:
        return "severity"
    if alert.status is AlertStatus.resolved:
        return "resolved"
    if alert.acknowledged_at is not None:
        return "acknowledged"
    return None


def next_retry_at(
    settings: Settings, notification: AlertNotification, alert: Alert, now: datetime
) -> datetime | None:
    """When to try a failed notification again, or None when it is not to be retried."""
    if _why_not(settings, notification, alert) is not None:
        return None
    retry = settings.alerts.retry
    wait = min(retry.first_minutes * 2**notification.retries, retry.max_wait_minutes)
    at = now + timedelta(minutes=wait)
    if at > notification.created_at + timedelta(hours=retry.max_age_hours):
        log.warning(
            "alert_delivery_abandoned",
            alert_id=notification.alert_id,
            notification_id=notification.id,
            rounds=notification.retries + 1,
        )
        return None
    return at


def requeue_due(session: Session, settings: Settings, *, now: datetime) -> int:
    """Put every failed notification whose retry is due back in the queue (one more round);
    stop retrying those whose alert resolved or was acknowledged, or that are too old. The
    number requeued (flush only)."""
    repository.lock_for_writing(session)
    max_age = timedelta(hours=settings.alerts.retry.max_age_hours)
    requeued = 0
    for notification in repository.due_retries(session, now):
        alert = repository.get_alert_or_raise(session, notification.alert_id)
        reason = _why_not(settings, notification, alert)
        if reason is None and now - notification.created_at > max_age:
            reason = "too old"
        notification.retry_at = None
        if reason is not None:
            log.info(
                "alert_retry_stopped",
                alert_id=alert.id,
                notification_id=notification.id,
                reason=reason,
            )
            continue
        notification.state = State.pending
        notification.retries += 1
        requeued += 1
    session.flush()
    return requeued
