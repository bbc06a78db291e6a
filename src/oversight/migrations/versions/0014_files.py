"""attachments and their content blobs

Revision ID: 0014
Revises: 0011
Create Date: 2026-12-02

Files attached to service requests (`attachments`, row-scoped like the request, soft-deleted)
and the distinct contents they name (`file_blobs`: SHA-256, tier, mover and preview state).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import oversight.db.types

revision: str = "0014"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SIZE = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, oversight.db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "file_blobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", _SIZE, nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        _when("created_at", False),
        sa.Column("tier", sa.String(length=32), nullable=False),
        _when("moved_at", True),
        sa.Column("move_failures", sa.Integer(), nullable=False),
        _when("next_move_at", True),
        sa.Column("move_error", sa.Text(), nullable=True),
        sa.Column("preview_state", sa.String(length=32), nullable=False),
        sa.Column("preview_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_file_blobs")),
        sa.UniqueConstraint("sha256", name=op.f("uq_file_blobs_sha256")),
    )
    op.create_index("ix_file_blobs_tier_created_at", "file_blobs", ["tier", "created_at"])
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", _SIZE, nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        _when("uploaded_at", False),
        _when("deleted_at", True),
        sa.Column("deleted_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"], ["service_requests.id"],
            name=op.f("fk_attachments_request_id_service_requests"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["blob_id"], ["file_blobs.id"],
            name=op.f("fk_attachments_blob_id_file_blobs"), ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"],
            name=op.f("fk_attachments_uploaded_by_id_users"), ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deleted_by_id"], ["users.id"],
            name=op.f("fk_attachments_deleted_by_id_users"), ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )  # fmt: skip
    op.create_index("ix_attachments_request_id", "attachments", ["request_id"])
    op.create_index("ix_attachments_blob_id", "attachments", ["blob_id"])
    op.create_index("ix_attachments_sha256", "attachments", ["sha256"])


def downgrade() -> None:
    op.drop_table("attachments")
    op.drop_table("file_blobs")
