"""audit verifications outside the chain

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

`audit verify` recorded its outcome as an event of the chain it had just judged; with rows
past the recorded head that append itself failed (and the verification with it). Outcomes
now go to `audit_verifications`, a plain status table that monitoring reads; the chain gets
an `audit.verified` event only when it verified intact.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import oversight.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("verified_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("origin", sa.String(length=64), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("events_checked", _POSITION, nullable=False),
        sa.Column("last_id", _POSITION, nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("checkpoints_checked", sa.Integer(), nullable=False),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verifications")),
    )


def downgrade() -> None:
    op.drop_table("audit_verifications")
