from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base
from oversight.db.traits import Exempt, ModelTraits

GENESIS_HASH = "0" * 64


class AuditEvent(Base):
    """One entry of the append-only, hash-chained audit trail.

    `id` is the position in the chain, assigned under the chain lock; `changes` holds the
    canonical JSON text exactly as it was hashed (never re-serialised by the database).
    """

    __tablename__ = "audit_events"
    __traits__ = ModelTraits(
        scope=Exempt("the trail is guarded by the audit permission, not by row scope"),
        audit=Exempt("the trail itself"),
        kpi_input=False,
    )
    __table_args__ = (
        Index("ix_audit_events_entity", "entity_type", "entity_id", "id"),
        Index("ix_audit_events_actor", "actor_id", "occurred_at", "id"),
        Index("ix_audit_events_action", "action", "occurred_at", "id"),
        Index("ix_audit_events_request_id", "request_id"),
        Index("ix_audit_events_client_ip", "client_ip", "occurred_at", "id"),
        Index("ix_audit_events_occurred_at", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    occurred_at: Mapped[datetime]
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int | None]
    actor_name: Mapped[str | None] = mapped_column(String(100))
    actor_role: Mapped[str | None] = mapped_column(String(32))
    client_ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    request_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity_type: Mapped[str | None] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    changes: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditChainHead(Base):
    """The chain's newest link, one row. Verification compares the walk's end with it, so a
    truncated tail is detected; `oversight audit head` prints it for safekeeping elsewhere."""

    __tablename__ = "audit_chain_head"
    __traits__ = ModelTraits(
        scope=Exempt("the trail is guarded by the audit permission, not by row scope"),
        audit=Exempt("the trail's own bookkeeping"),
        kpi_input=False,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditArchivePermit(Base):
    """While a row exists here, the database lets the archiver delete that id range; the
    archive transaction inserts it, deletes, and removes it again."""

    __tablename__ = "audit_archive_permits"
    __traits__ = ModelTraits(
        scope=Exempt("the trail is guarded by the audit permission, not by row scope"),
        audit=Exempt("the trail's own bookkeeping; archiving records its own event"),
        kpi_input=False,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    first_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))


class AuditVerification(Base):
    """The outcome of one verification of the chain (`audit verify`, the nightly job, a
    checkpoint run). Kept outside the chain on purpose: verifying must never need to write
    into the chain it judges, least of all when that chain is broken. Monitoring reads the
    newest row; it is a status, not evidence (the chain and the checkpoints are)."""

    __traits__ = ModelTraits(
        scope=Exempt("verification outcomes are read by monitoring and admins, not scoped"),
        audit=Exempt("a status beside the trail, written when the trail must not be"),
        kpi_input=False,
    )

    __tablename__ = "audit_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    verified_at: Mapped[datetime]
    origin: Mapped[str] = mapped_column(String(64))
    ok: Mapped[bool]
    events_checked: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    last_hash: Mapped[str] = mapped_column(String(64))
    checkpoints_checked: Mapped[int]
    problem: Mapped[str | None] = mapped_column(Text)
