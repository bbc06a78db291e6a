"""on-call rotation from the API; failed notifications retried later

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02

The rotation an administrator stores through `PUT /api/v1/alerts/oncall/rotation`
(`oncall_rotations`, its members in order and its stand-ins), and the retry bookkeeping of
notifications whose whole chain failed (`alert_notifications.retries`, `.retry_at`; the round
of each delivery attempt).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import oversight.db.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHEN = oversight.db.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "oncall_rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_handover", _WHEN, nullable=False),
        sa.Column("shift_hours", sa.Integer(), nullable=False),
        sa.Column("updated_at", _WHEN, nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_oncall_rotations_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_rotations")),
    )
    op.create_table(
        "oncall_members",
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rotation_id"],
            ["oncall_rotations.id"],
            name=op.f("fk_oncall_members_rotation_id_oncall_rotations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oncall_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("rotation_id", "position", name=op.f("pk_oncall_members")),
        sa.UniqueConstraint("rotation_id", "user_id", name="uq_oncall_members_user"),
    )
    op.create_index(op.f("ix_oncall_members_user_id"), "oncall_members", ["user_id"], unique=False)
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rotation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", _WHEN, nullable=False),
        sa.Column("ends_at", _WHEN, nullable=False),
        sa.ForeignKeyConstraint(
            ["rotation_id"],
            ["oncall_rotations.id"],
            name=op.f("fk_oncall_overrides_rotation_id_oncall_rotations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_oncall_overrides_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_overrides")),
    )
    op.create_index(
        op.f("ix_oncall_overrides_rotation_id"), "oncall_overrides", ["rotation_id"], unique=False
    )
    op.create_index(
        op.f("ix_oncall_overrides_user_id"), "oncall_overrides", ["user_id"], unique=False
    )
    op.add_column(
        "alert_notifications",
        sa.Column("retries", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("alert_notifications", sa.Column("retry_at", _WHEN, nullable=True))
    op.create_index(
        op.f("ix_alert_notifications_retry_at"), "alert_notifications", ["retry_at"], unique=False
    )
    op.add_column(
        "alert_delivery_attempts",
        sa.Column("round", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    # SQLite >= 3.35 drops a column in place (as 0015 does).
    op.drop_column("alert_delivery_attempts", "round")
    op.drop_index(op.f("ix_alert_notifications_retry_at"), table_name="alert_notifications")
    op.drop_column("alert_notifications", "retry_at")
    op.drop_column("alert_notifications", "retries")
    op.drop_table("oncall_overrides")
    op.drop_table("oncall_members")
    op.drop_table("oncall_rotations")
