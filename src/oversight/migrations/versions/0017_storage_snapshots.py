"""storage snapshots

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02

The storage monitor's daily snapshot per watched path: `storage_snapshots`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from oversight.db.types import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "storage_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=48), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("taken_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("files", _BIG, nullable=False),
        sa.Column("bytes", _BIG, nullable=False),
        sa.Column("backlog_files", _BIG, nullable=True),
        sa.Column("newest_name", sa.String(length=1024), nullable=True),
        sa.Column("newest_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("oldest_name", sa.String(length=1024), nullable=True),
        sa.Column("oldest_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("folders", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_storage_snapshots")),
        sa.UniqueConstraint("path", "day", name=op.f("uq_storage_snapshots_path")),
    )


def downgrade() -> None:
    op.drop_table("storage_snapshots")
