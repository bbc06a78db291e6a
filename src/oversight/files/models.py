"""Attachments (one row per file attached to a request) and blobs (one row per distinct
content, stored once whatever the number of attachments naming it)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base
from oversight.db.columns import enum_column
from oversight.db.traits import SCOPED, Audited, Exempt, ModelTraits
from oversight.kit.clock import utcnow

_SIZE = BigInteger().with_variant(Integer(), "sqlite")


class Tier(enum.StrEnum):
    hot = "hot"  # in the local folder (settings.files.hot_dir)
    cold = "cold"  # in the cold StorageTarget only


class PreviewState(enum.StrEnum):
    pending = "pending"
    ready = "ready"
    unavailable = "unavailable"  # rendering failed: see the reason
    none = "none"  # the type has no preview (office documents): not a failure


class Blob(Base):
    """One distinct content, named by its SHA-256; where it lives and its preview.

    The hot copy is `<hot_dir>/<sha[:2]>/<sha>`, the cold copy the object `<sha[:2]>/<sha>` of
    the cold target, the preview `<hot_dir>/previews/<sha>.jpg` (previews stay hot).
    """

    __tablename__ = "file_blobs"
    __traits__ = ModelTraits(
        scope=Exempt("reached only through an attachment, which is row-scoped"),
        audit=Exempt("content bookkeeping; the attachments naming it are audited"),
        kpi_input=False,
    )
    __table_args__ = (Index("ix_file_blobs_tier_created_at", "tier", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(_SIZE)
    content_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    tier: Mapped[Tier] = mapped_column(enum_column(Tier), default=Tier.hot)
    moved_at: Mapped[datetime | None]
    move_failures: Mapped[int] = mapped_column(default=0)
    next_move_at: Mapped[datetime | None]
    move_error: Mapped[str | None] = mapped_column(Text)
    preview_state: Mapped[PreviewState] = mapped_column(
        enum_column(PreviewState), default=PreviewState.pending
    )
    preview_reason: Mapped[str | None] = mapped_column(Text)


class Attachment(Base):
    """A file attached to a service request; scoped like its request, soft-deleted."""

    __tablename__ = "attachments"
    __traits__ = ModelTraits(
        scope=SCOPED, audit=Audited("attachment", label="filename"), kpi_input=False
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("service_requests.id", ondelete="RESTRICT"), index=True
    )
    blob_id: Mapped[int] = mapped_column(
        ForeignKey("file_blobs.id", ondelete="RESTRICT"), index=True
    )
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(_SIZE)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
