"""What the alert hub keeps: alerts (one row per firing episode), their status history, the
notifications sent about them with every delivery attempt, and the silences created.

An alert is identified as Alertmanager identifies a firing episode: its fingerprint (a hash
of the labels) and `starts_at`. The same alert firing again later is a new row with the same
fingerprint — which is how flapping is counted.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base
from oversight.db.traits import Exempt, ModelTraits
from oversight.kit.clock import utcnow

_BigId = BigInteger().with_variant(Integer, "sqlite")


class AlertStatus(enum.StrEnum):
    firing = "firing"
    resolved = "resolved"


class NotificationKind(enum.StrEnum):
    firing = "firing"
    escalation = "escalation"
    update = "update"  # acknowledged or resolved: edits the message in place where it can
    digest = "digest"


class NotificationState(enum.StrEnum):
    pending = "pending"
    sending = "sending"
    held = "held"  # waits for the daily digest
    delivered = "delivered"
    failed = "failed"


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(kind, name=name, native_enum=False, length=16, validate_strings=True)


class Alert(Base):
    __traits__ = ModelTraits(
        scope=Exempt("operational data of the on-call team, guarded by the alerts permission"),
        audit=Exempt(
            "state comes from Alertmanager many times an hour; acknowledgements and silences "
            "are explicit audit events"
        ),
        kpi_input=False,
    )
    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("fingerprint", "starts_at", name="uq_alerts_fingerprint_starts_at"),
        Index("ix_alerts_status_severity", "status", "severity"),
        Index("ix_alerts_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    alertname: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(32))
    status: Mapped[AlertStatus] = mapped_column(_enum(AlertStatus, "alert_status"))
    labels: Mapped[dict[str, Any]] = mapped_column(JSON)
    annotations: Mapped[dict[str, Any]] = mapped_column(JSON)
    generator_url: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]  # when it resolved (Alertmanager's endsAt)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    acknowledged_via: Mapped[str | None] = mapped_column(String(16))  # api, telegram
    escalation_level: Mapped[int] = mapped_column(default=0)  # 1: next person, 2: admin
    escalated_at: Mapped[datetime | None]


class AlertStatusChange(Base):
    """One status an alert entered, when Alertmanager said so and when the hub learnt it."""

    __traits__ = ModelTraits(
        scope=Exempt("operational data of the on-call team, guarded by the alerts permission"),
        audit=Exempt("the alert's own status history, written by the intake"),
        kpi_input=False,
    )

    __tablename__ = "alert_status_changes"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    status: Mapped[AlertStatus] = mapped_column(_enum(AlertStatus, "alert_change_status"))
    at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlertNotification(Base):
    """One message to one recipient about one alert (or, for the digest, several)."""

    __traits__ = ModelTraits(
        scope=Exempt("operational data of the on-call team, guarded by the alerts permission"),
        audit=Exempt("delivery bookkeeping of the hub"),
        kpi_input=False,
    )

    __tablename__ = "alert_notifications"
    __table_args__ = (Index("ix_alert_notifications_state", "state"),)

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[NotificationKind] = mapped_column(_enum(NotificationKind, "notification_kind"))
    target: Mapped[str] = mapped_column(String(32))  # Target value
    recipient: Mapped[str] = mapped_column(String(80))  # the contact's name
    email_only: Mapped[bool] = mapped_column(default=False)  # the extra e-mail copy
    state: Mapped[NotificationState] = mapped_column(_enum(NotificationState, "notification_state"))
    channel: Mapped[str | None] = mapped_column(String(16))  # the one that delivered it
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    edits_id: Mapped[int | None] = mapped_column(
        ForeignKey("alert_notifications.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
    # Rounds of the whole chain after the first (by the `alerts_retry` job), and when the
    # next one is due; None: not to be retried (delivered, given up, or not eligible).
    retries: Mapped[int] = mapped_column(default=0, server_default="0")
    retry_at: Mapped[datetime | None] = mapped_column(index=True)


class DeliveryAttempt(Base):
    """One try of one channel for one notification, and how it went."""

    __traits__ = ModelTraits(
        scope=Exempt("operational data of the on-call team, guarded by the alerts permission"),
        audit=Exempt("delivery bookkeeping of the hub"),
        kpi_input=False,
    )

    __tablename__ = "alert_delivery_attempts"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("alert_notifications.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int]
    round: Mapped[int] = mapped_column(default=0, server_default="0")  # 0: the first delivery
    at: Mapped[datetime] = mapped_column(default=utcnow)
    ok: Mapped[bool]
    error: Mapped[str | None] = mapped_column(String(300))


class AlertSilence(Base):
    """A silence created in Alertmanager for an alert, with who asked for it."""

    __traits__ = ModelTraits(
        scope=Exempt("operational data of the on-call team, guarded by the alerts permission"),
        audit=Exempt("recorded as an explicit audit event when created"),
        kpi_input=False,
    )

    __tablename__ = "alert_silences"

    id: Mapped[int] = mapped_column(_BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    silence_id: Mapped[str] = mapped_column(String(64))  # Alertmanager's
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime]  # as sent to Alertmanager
    until_resolved: Mapped[bool] = mapped_column(default=False)  # expired when it resolves
    expired_at: Mapped[datetime | None]


class OnCallRotation(Base):
    """The rotation stored through the API (one row at most): its members take shifts of
    `shift_hours` in `position` order, the first one starting at `first_handover`. When it
    exists it wins over the settings' rotation."""

    __traits__ = ModelTraits(
        scope=Exempt("operational data of the on-call team, guarded by the alerts permission"),
        audit=Exempt("replaced as a whole; each replacement is one alerts.oncall_set event"),
        kpi_input=False,
    )

    __tablename__ = "oncall_rotations"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_handover: Mapped[datetime]
    shift_hours: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class OnCallMember(Base):
    """One person of the stored rotation, at `position` (0 first)."""

    __traits__ = ModelTraits(
        scope=Exempt("operational data of the on-call team, guarded by the alerts permission"),
        audit=Exempt("part of the rotation, recorded by its alerts.oncall_set event"),
        kpi_input=False,
    )

    __tablename__ = "oncall_members"
    __table_args__ = (UniqueConstraint("rotation_id", "user_id", name="uq_oncall_members_user"),)

    rotation_id: Mapped[int] = mapped_column(
        ForeignKey("oncall_rotations.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class OnCallOverride(Base):
    """A stand-in: `user_id` is on call over [starts_at, ends_at) whatever the turns say."""

    __traits__ = ModelTraits(
        scope=Exempt("operational data of the on-call team, guarded by the alerts permission"),
        audit=Exempt("part of the rotation, recorded by its alerts.oncall_set event"),
        kpi_input=False,
    )

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    rotation_id: Mapped[int] = mapped_column(
        ForeignKey("oncall_rotations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
