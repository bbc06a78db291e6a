"""Sending queued notifications through the fallback chain, recording every attempt.

The chain for a message: Telegram (retried with exponential backoff) → e-mail (SMTP) → the
WhatsApp proxy; the first channel that delivers ends it. A channel the recipient has no
address for, or that is not configured, is recorded as skipped. A chain that fails
completely is logged at error level and reported to Sentry. The e-mail copy of a critical
alert goes by e-mail only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy.orm import Session

from oversight.alerts import repository, retries
from oversight.alerts.alertmanager import AlertmanagerClient
from oversight.alerts.errors import SilenceFailed
from oversight.alerts.models import (
    Alert,
    AlertNotification,
    AlertStatus,
    DeliveryAttempt,
    NotificationKind,
    NotificationState,
)
from oversight.alerts.notifiers import DeliveryError, Message, RateLimited, Sent
from oversight.alerts.notifiers.email import EmailNotifier
from oversight.alerts.notifiers.telegram import TelegramNotifier
from oversight.alerts.notifiers.whatsapp import WhatsAppNotifier
from oversight.alerts.render import alert_message, digest_message
from oversight.alerts.routing import contact_named
from oversight.auth.models import User
from oversight.config import Contact, Settings
from oversight.config.alerts import TelegramChannel
from oversight.kit.clock import utcnow
from oversight.observability.logging import get_logger
from oversight.observability.sentry import capture_exception

log = get_logger("oversight.alerts")


class AlertDeliveryFailed(Exception):
    """Every channel of a notification's chain failed (reported to Sentry)."""


@dataclass
class Channels:
    """The delivery channels and Alertmanager's API, built from the settings; tests inject
    transports (local servers are reached through the base-URL settings) and `sleep`."""

    telegram: TelegramNotifier
    email: EmailNotifier
    whatsapp: WhatsAppNotifier
    alertmanager: AlertmanagerClient
    sleep: Callable[[float], None] = field(default=time.sleep)


def channels_from(settings: Settings, transport: httpx.BaseTransport | None = None) -> Channels:
    alerts = settings.alerts
    return Channels(
        telegram=TelegramNotifier(settings.alert_telegram, transport),
        email=EmailNotifier(alerts.smtp),
        whatsapp=WhatsAppNotifier(alerts.whatsapp, transport),
        alertmanager=AlertmanagerClient(alerts.alertmanager_url, transport),
    )


def deliver_notification(
    session: Session,
    settings: Settings,
    channels: Channels,
    notification_id: int,
    *,
    checkpoint: Callable[[], None],
    now: Callable[[], datetime] = utcnow,
) -> NotificationState | None:
    """Deliver one pending notification (claimed first, so two processes never both send it);
    its final state, or None when it was not pending.

    `checkpoint` (the entry point's commit) ends the transaction after the claim and again
    before the network calls, so no transaction stays open while a channel is slow: the claim
    is visible to other processes at once, and the outcome is written by a transaction whose
    first statement is a write (see `repository.lock_for_writing`)."""
    claimed = repository.claim_notification(session, notification_id)
    checkpoint()
    if not claimed:
        return None
    notification = session.get(AlertNotification, notification_id, populate_existing=True)
    assert notification is not None
    alert = repository.get_alert_or_raise(session, notification.alert_id)
    zone = ZoneInfo(settings.company.timezone)
    message = alert_message(
        alert,
        zone=zone,
        acknowledged_by=acknowledger_name(session, alert),
        escalated=notification.kind is NotificationKind.escalation,
    )
    contact = contact_named(session, settings, notification.target, notification.recipient)
    original = (
        session.get(AlertNotification, notification.edits_id) if notification.edits_id else None
    )
    checkpoint()
    sent: tuple[str, Sent] | None = None
    if notification.kind is NotificationKind.update:
        sent = _update(session, settings, channels, notification, original, alert, contact, message)
    elif contact is not None:
        chain = ("email",) if notification.email_only else ("telegram", "email", "whatsapp")
        sent = _through(session, settings, channels, notification, contact, message, chain)
    else:
        _record(session, notification, "none", 0, "skipped: recipient no longer configured")
    moment = now()
    _finish(notification, sent, moment)
    if sent is None:
        notification.retry_at = retries.next_retry_at(settings, notification, alert, moment)
    session.flush()
    return notification.state


def _update(
    session: Session,
    settings: Settings,
    channels: Channels,
    notification: AlertNotification,
    original: AlertNotification | None,
    alert: Alert,
    contact: Contact | None,
    message: Message,
) -> tuple[str, Sent] | None:
    if original and original.telegram_chat_id and original.telegram_message_id:
        chat_id, message_id = original.telegram_chat_id, original.telegram_message_id
        edited = _telegram(
            session,
            settings,
            channels,
            notification,
            lambda: channels.telegram.edit(chat_id, message_id, message),
        )
        if edited is not None:
            return "telegram", edited
    if alert.status is not AlertStatus.resolved or contact is None:
        return None
    return _through(
        session,
        settings,
        channels,
        notification,
        contact,
        message,
        ("telegram", "email", "whatsapp"),
    )


def _through(
    session: Session,
    settings: Settings,
    channels: Channels,
    notification: AlertNotification,
    contact: Contact,
    message: Message,
    chain: tuple[str, ...],
) -> tuple[str, Sent] | None:
    for channel in chain:
        if channel == "telegram":
            chat_id = contact.telegram_chat_id
            if chat_id is None or not channels.telegram.configured:
                _record(session, notification, channel, 0, _skip(channels.telegram.configured))
                continue
            sent = _telegram(
                session,
                settings,
                channels,
                notification,
                partial(channels.telegram.send, chat_id, message),
            )
        elif channel == "email":
            sent = _once(
                session,
                notification,
                channel,
                contact.email,
                channels.email.configured,
                lambda to: channels.email.send(to, message),
            )
        else:
            sent = _once(
                session,
                notification,
                channel,
                contact.whatsapp,
                channels.whatsapp.configured,
                lambda to: channels.whatsapp.send(to, message),
            )
        if sent is not None:
            return channel, sent
    return None


def _skip(configured: bool) -> str:
    return "skipped: recipient has no address" if configured else "skipped: not configured"


def _telegram(
    session: Session,
    settings: Settings,
    channels: Channels,
    notification: AlertNotification,
    call: Callable[[], Sent],
) -> Sent | None:
    """`call` up to `attempts` times, waiting backoff, 2 * backoff, ... between tries — or,
    after a 429, the `retry_after` Telegram asked for (at most `max_retry_after_seconds`)."""
    telegram = settings.alerts.telegram
    for attempt in range(1, telegram.attempts + 1):
        try:
            sent = call()
        except DeliveryError as error:
            _record(session, notification, "telegram", attempt, str(error))
            if attempt < telegram.attempts:
                channels.sleep(_wait_before_retry(telegram, attempt, error))
            continue
        _record(session, notification, "telegram", attempt, None)
        return sent
    return None


def _wait_before_retry(telegram: TelegramChannel, attempt: int, error: DeliveryError) -> float:
    if isinstance(error, RateLimited):
        return min(error.retry_after, telegram.max_retry_after_seconds)
    return float(telegram.backoff_seconds * 2 ** (attempt - 1))


def _once(
    session: Session,
    notification: AlertNotification,
    channel: str,
    address: str | None,
    configured: bool,
    call: Callable[[str], Sent],
) -> Sent | None:
    if address is None or not configured:
        _record(session, notification, channel, 0, _skip(configured))
        return None
    try:
        sent = call(address)
    except DeliveryError as error:
        _record(session, notification, channel, 1, str(error))
        return None
    _record(session, notification, channel, 1, None)
    return sent


def _record(
    session: Session, notification: AlertNotification, channel: str, attempt: int, error: str | None
) -> None:
    session.add(
        DeliveryAttempt(
            notification_id=notification.id,
            channel=channel,
            attempt=attempt,
            ok=error is None,
            error=None if error is None else error[:300],
            round=notification.retries,
        )
    )


def _finish(notification: AlertNotification, sent: tuple[str, Sent] | None, now: datetime) -> None:
    if sent is None:
        notification.state = NotificationState.failed
        log.error(
            "alert_delivery_failed",
            alert_id=notification.alert_id,
            notification_id=notification.id,
            target=notification.target,
            kind=notification.kind.value,
            round=notification.retries,
        )
        if notification.retries:
            return  # Sentry heard of this notification's failure on its first round
        capture_exception(
            AlertDeliveryFailed(
                f"alert {notification.alert_id}: notification {notification.id} "
                f"({notification.kind.value}, {notification.target}) reached nobody"
            ),
            alert_id=str(notification.alert_id),
        )
        return
    channel, where = sent
    notification.state = NotificationState.delivered
    notification.channel = channel
    notification.delivered_at = now
    if where.message_id is not None:
        notification.telegram_chat_id = where.chat_id
        notification.telegram_message_id = where.message_id
    log.info(
        "alert_delivered",
        alert_id=notification.alert_id,
        notification_id=notification.id,
        channel=channel,
        kind=notification.kind.value,
    )


def acknowledger_name(session: Session, alert: Alert) -> str | None:
    if alert.acknowledged_by_id is None:
        return None
    user = session.get(User, alert.acknowledged_by_id)
    if user is None:
        return None
    return user.full_name or user.username


def send_digest(
    session: Session,
    settings: Settings,
    channels: Channels,
    *,
    checkpoint: Callable[[], None],
    now: datetime | None = None,
) -> int:
    """One message to the quiet chat listing the held info alerts; the number listed.
    `checkpoint` (the entry point's commit) ends the transaction before the network calls."""
    repository.lock_for_writing(session)
    held = repository.held_for_digest(session)
    if not held:
        return 0
    now = now or utcnow()
    alerts = [repository.get_alert_or_raise(session, entry.alert_id) for entry in held]
    digest = AlertNotification(
        alert_id=alerts[0].id,
        kind=NotificationKind.digest,
        target=held[0].target,
        recipient=held[0].recipient,
        state=NotificationState.sending,
    )
    session.add(digest)
    session.flush()
    contact = contact_named(session, settings, digest.target, digest.recipient)
    message = digest_message(alerts, zone=ZoneInfo(settings.company.timezone))
    checkpoint()
    sent = None
    if contact is not None:
        sent = _through(
            session, settings, channels, digest, contact, message, ("telegram", "email", "whatsapp")
        )
    else:
        _record(session, digest, "none", 0, "skipped: recipient no longer configured")
    _finish(digest, sent, now)
    for entry in held:
        entry.state = digest.state
        entry.channel = digest.channel
        entry.delivered_at = digest.delivered_at
        entry.edits_id = digest.id
    session.flush()
    return len(held)


def expire_resolved_silences(session: Session, channels: Channels) -> int:
    """Expire in Alertmanager the "until resolved" silences of alerts that have resolved."""
    expired = 0
    for silence in repository.silences_to_expire(session):
        try:
            channels.alertmanager.expire_silence(silence.silence_id)
        except SilenceFailed as error:
            log.warning("silence_expiry_failed", alert_id=silence.alert_id, error=error.message)
            continue
        silence.expired_at = utcnow()
        expired += 1
    session.flush()
    return expired


def deliver_pending(
    session: Session,
    settings: Settings,
    channels: Channels,
    *,
    checkpoint: Callable[[], None],
    now: Callable[[], datetime] = utcnow,
) -> int:
    """Deliver every pending notification, oldest first, then expire the silences of resolved
    alerts; how many notifications were delivered. `checkpoint` is the entry point's commit:
    each message's outcome is committed as it goes, so a message sent stays recorded whatever
    comes next, and no transaction waits on the network."""
    pending = repository.pending_notification_ids(session)
    checkpoint()
    delivered = 0
    for notification_id in pending:
        state = deliver_notification(
            session, settings, channels, notification_id, checkpoint=checkpoint, now=now
        )
        checkpoint()
        delivered += state is NotificationState.delivered
    expire_resolved_silences(session, channels)
    return delivered
