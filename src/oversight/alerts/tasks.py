"""The alert hub's jobs: deliver what is queued, escalate unacknowledged critical alerts
(every minute), retry notifications whose whole chain failed, and send the daily digest of
info alerts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from oversight.alerts import delivery, escalation, retries
from oversight.config import Settings
from oversight.jobs.registry import JobRegistry
from oversight.kit.clock import utcnow

Clock = Callable[[], datetime]


def register(jobs: JobRegistry, settings: Settings) -> None:
    def escalate_job(session: Session) -> None:
        escalate_and_deliver(session, settings=settings)

    def digest_job(session: Session) -> None:
        send_digest(session, settings=settings)

    def retry_job(session: Session) -> None:
        retry_failed(session, settings=settings)

    jobs.add(
        "alerts_escalate",
        escalate_job,
        every=timedelta(minutes=1),
        description="escalate unacknowledged critical alerts; send queued notifications",
    )
    jobs.add(
        "alerts_retry",
        retry_job,
        every=timedelta(minutes=settings.alerts.retry.every_minutes),
        description="send again the notifications whose whole chain failed, while they matter",
    )
    jobs.add(
        "alerts_digest",
        digest_job,
        cron=settings.alerts.digest_cron,
        description="send the daily digest of info alerts to the quiet chat",
    )


def escalate_and_deliver(
    session: Session,
    *,
    settings: Settings,
    clock: Clock = utcnow,
    channels: delivery.Channels | None = None,
) -> int:
    """Queue due escalations, then deliver everything pending (each one committed as it goes);
    the number of notifications delivered."""
    escalation.escalate_due(session, settings, now=clock())
    return _commit_and_deliver(session, settings, clock, channels)


def retry_failed(
    session: Session,
    *,
    settings: Settings,
    clock: Clock = utcnow,
    channels: delivery.Channels | None = None,
) -> int:
    """Requeue the failed notifications whose retry is due, then deliver everything pending;
    the number of notifications delivered."""
    retries.requeue_due(session, settings, now=clock())
    return _commit_and_deliver(session, settings, clock, channels)


def _commit_and_deliver(
    session: Session, settings: Settings, clock: Clock, channels: delivery.Channels | None
) -> int:
    """Commit what was queued, then deliver everything pending, each committed as it goes."""
    session.commit()
    return delivery.deliver_pending(
        session,
        settings,
        channels or delivery.channels_from(settings),
        checkpoint=session.commit,
        now=clock,
    )


def send_digest(
    session: Session,
    *,
    settings: Settings,
    clock: Clock = utcnow,
    channels: delivery.Channels | None = None,
) -> int:
    return delivery.send_digest(
        session,
        settings,
        channels or delivery.channels_from(settings),
        checkpoint=session.commit,
        now=clock(),
    )
