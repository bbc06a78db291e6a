"""What the storage monitor keeps: one snapshot per watched path and day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from oversight.db.base import Base
from oversight.db.traits import Exempt, ModelTraits

_BIG = BigInteger().with_variant(Integer, "sqlite")


class StorageSnapshot(Base):
    """A watched path as listed on `day` (company time zone); the day's last listing wins.

    `folders` maps each first-level sub-folder (`.` for objects at the top) to its count of
    files; `newest_*` / `oldest_*` name the most and least recently modified files.
    """

    __traits__ = ModelTraits(
        scope=Exempt("storage statistics: read by admins and monitoring, not customer data"),
        audit=Exempt("measurements rewritten by a job every hour, not business changes"),
        kpi_input=False,
    )

    __tablename__ = "storage_snapshots"
    __table_args__ = (UniqueConstraint("path", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(48))
    day: Mapped[date] = mapped_column(Date)
    taken_at: Mapped[datetime]
    files: Mapped[int] = mapped_column(_BIG)
    bytes: Mapped[int] = mapped_column(_BIG)
    backlog_files: Mapped[int | None] = mapped_column(_BIG)
    newest_name: Mapped[str | None] = mapped_column(String(1024))
    newest_at: Mapped[datetime | None]
    oldest_name: Mapped[str | None] = mapped_column(String(1024))
    oldest_at: Mapped[datetime | None]
    folders: Mapped[dict[str, Any]] = mapped_column(JSON)
