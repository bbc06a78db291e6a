"""Every query of the alert hub."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, false, select, update
from sqlalchemy.orm import Session

from oversight.alerts.models import (
    Alert,
    AlertNotification,
    AlertSilence,
    AlertStatus,
    NotificationKind,
    NotificationState,
    OnCallMember,
    OnCallOverride,
    OnCallRotation,
)
from oversight.auth.models import User
from oversight.errors import NotFound
from oversight.kit.pagination import PageParams, fetch_page, order_by_clauses


def lock_for_writing(session: Session) -> None:
    """On SQLite, take the database's write lock before this transaction reads anything.

    A SQLite transaction that has read and then writes must upgrade its read snapshot, and
    that fails at once ("database is locked", no busy wait) when another connection has
    committed meanwhile — as Alertmanager's concurrent deliveries and the hub's own background
    sends do. A write as the first statement waits for the lock instead (busy_timeout).
    PostgreSQL needs nothing: its row locks and MVCC handle this.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(
            update(Alert)
            .where(false())
            .values(id=Alert.id)
            .execution_options(synchronize_session=False)
        )


def get_alert_or_raise(session: Session, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise NotFound(f"alert {alert_id} not found")
    return alert


def find_episode(session: Session, fingerprint: str, starts_at: datetime) -> Alert | None:
    return session.scalar(
        select(Alert).where(Alert.fingerprint == fingerprint, Alert.starts_at == starts_at)
    )


def list_alerts(
    session: Session,
    params: PageParams,
    *,
    status: AlertStatus | None = None,
    severity: str | None = None,
    acknowledged: bool | None = None,
) -> tuple[Sequence[Alert], int]:
    statement = select(Alert)
    if status is not None:
        statement = statement.where(Alert.status == status)
    if severity is not None:
        statement = statement.where(Alert.severity == severity)
    if acknowledged is not None:
        statement = statement.where(
            Alert.acknowledged_at.is_not(None) if acknowledged else Alert.acknowledged_at.is_(None)
        )
    statement = statement.order_by(
        *order_by_clauses(
            params.sort,
            {"starts_at": Alert.starts_at, "severity": Alert.severity, "id": Alert.id},
            "-starts_at",
            Alert.id,
        )
    )
    return fetch_page(session, statement, params)


def notifications_of(session: Session, alert_id: int) -> Sequence[AlertNotification]:
    return session.scalars(
        select(AlertNotification)
        .where(AlertNotification.alert_id == alert_id)
        .order_by(AlertNotification.id)
    ).all()


def pending_notification_ids(session: Session) -> Sequence[int]:
    return session.scalars(
        select(AlertNotification.id)
        .where(AlertNotification.state == NotificationState.pending)
        .order_by(AlertNotification.id)
    ).all()


def claim_notification(session: Session, notification_id: int) -> bool:
    """Mark a pending notification as being sent; False if another process got it first."""
    claimed = session.execute(
        update(AlertNotification)
        .where(
            AlertNotification.id == notification_id,
            AlertNotification.state == NotificationState.pending,
        )
        .values(state=NotificationState.sending)
        .execution_options(synchronize_session=False)
    )
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def due_retries(session: Session, now: datetime) -> Sequence[AlertNotification]:
    """Failed notifications whose next retry is due, oldest first."""
    return session.scalars(
        select(AlertNotification)
        .where(
            AlertNotification.state == NotificationState.failed,
            AlertNotification.retry_at.is_not(None),
            AlertNotification.retry_at <= now,
        )
        .order_by(AlertNotification.id)
    ).all()


def held_for_digest(session: Session) -> Sequence[AlertNotification]:
    return session.scalars(
        select(AlertNotification)
        .where(AlertNotification.state == NotificationState.held)
        .order_by(AlertNotification.id)
    ).all()


def unacknowledged_critical(session: Session) -> Sequence[Alert]:
    return session.scalars(
        select(Alert)
        .where(
            Alert.status == AlertStatus.firing,
            Alert.severity == "critical",
            Alert.acknowledged_at.is_(None),
        )
        .order_by(Alert.id)
    ).all()


def sent_messages(session: Session, alert_id: int) -> Sequence[AlertNotification]:
    """The notifications of an alert that reached someone (firing, escalation), oldest first."""
    return session.scalars(
        select(AlertNotification)
        .where(
            AlertNotification.alert_id == alert_id,
            AlertNotification.kind.in_([NotificationKind.firing, NotificationKind.escalation]),
        )
        .order_by(AlertNotification.id)
    ).all()


def silences_to_expire(session: Session) -> Sequence[AlertSilence]:
    """ "Until resolved" silences of alerts that have resolved, not yet expired."""
    return session.scalars(
        select(AlertSilence)
        .join(Alert, Alert.id == AlertSilence.alert_id)
        .where(
            Alert.status == AlertStatus.resolved,
            AlertSilence.until_resolved.is_(True),
            AlertSilence.expired_at.is_(None),
        )
        .order_by(AlertSilence.id)
    ).all()


def alerts_started_between(session: Session, since: datetime, until: datetime) -> Sequence[Alert]:
    return session.scalars(
        select(Alert)
        .where(Alert.starts_at >= since, Alert.starts_at < until)
        .order_by(Alert.starts_at, Alert.id)
    ).all()


def stored_rotation(session: Session) -> OnCallRotation | None:
    """The rotation stored through the API (there is one at most)."""
    return session.scalar(select(OnCallRotation).order_by(OnCallRotation.id).limit(1))


def rotation_members(session: Session, rotation_id: int) -> Sequence[User]:
    """The rotation's people, in turn order."""
    return session.scalars(
        select(User)
        .join(OnCallMember, OnCallMember.user_id == User.id)
        .where(OnCallMember.rotation_id == rotation_id)
        .order_by(OnCallMember.position)
    ).all()


def rotation_stand_ins(session: Session, rotation_id: int) -> Sequence[tuple[OnCallOverride, User]]:
    """The rotation's stand-ins with their users, in time order."""
    rows = session.execute(
        select(OnCallOverride, User)
        .join(User, User.id == OnCallOverride.user_id)
        .where(OnCallOverride.rotation_id == rotation_id)
        .order_by(OnCallOverride.starts_at, OnCallOverride.id)
    ).all()
    return [(row[0], row[1]) for row in rows]


def users_named(session: Session, usernames: set[str]) -> dict[str, User]:
    if not usernames:
        return {}
    found = session.scalars(select(User).where(User.username.in_(sorted(usernames)))).all()
    return {user.username: user for user in found}


def delete_rotation(session: Session) -> bool:
    """Remove the stored rotation with its members and stand-ins; whether there was one."""
    rotation = stored_rotation(session)
    if rotation is None:
        return False
    for model in (OnCallMember, OnCallOverride):
        session.execute(
            delete(model)
            .where(model.rotation_id == rotation.id)
            .execution_options(synchronize_session=False)
        )
    session.delete(rotation)
    session.flush()
    return True
