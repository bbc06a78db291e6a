"""login failures over a rolling hour

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-26

The login throttle's hourly cap counted failures in a fixed window that started at a key's
first failure, so a key could fail `per_hour` times at the end of one window and as many again
at the start of the next. Each failure is now a `login_failures` row (key, failed_at), counted
over the last hour; `login_throttle` keeps the back-off streak and the block, and loses
`window_started_at` and `window_failures`. The failures of windows still running are carried
over dated at their window's start, so they stop counting when that window would have ended:
a deploy does not hand anyone a fresh allowance.

SQLite drops columns by rebuilding the table (batch mode), done before `login_failures` and
its foreign key to `login_throttle` exist (with foreign keys on, dropping the old table would
cascade). The downgrade drops `login_failures` before it rebuilds `login_throttle`, and gives
each key a window starting at its oldest remaining failure (else its last update) with the
count of those failures.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import oversight.db.types

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, oversight.db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    old = sa.table(
        "login_throttle",
        sa.column("key", sa.String(80)),
        sa.column("window_started_at", oversight.db.types.UTCDateTime(timezone=True)),
        sa.column("window_failures", sa.Integer()),
    )
    running = op.get_bind().execute(
        sa.select(old.c.key, old.c.window_started_at, old.c.window_failures).where(
            old.c.window_started_at > datetime.now(UTC) - timedelta(hours=1)
        )
    )
    carried = [
        {"key": key, "failed_at": started} for key, started, count in running for _ in range(count)
    ]
    with op.batch_alter_table("login_throttle") as batch:
        batch.drop_column("window_failures")
        batch.drop_column("window_started_at")
    failures = op.create_table(
        "login_failures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        _utc("failed_at"),
        sa.ForeignKeyConstraint(
            ["key"],
            ["login_throttle.key"],
            name=op.f("fk_login_failures_key_login_throttle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_key_failed_at", "login_failures", ["key", "failed_at"], unique=False
    )
    if carried:
        op.bulk_insert(failures, carried)


def downgrade() -> None:
    with op.batch_alter_table("login_throttle") as batch:
        batch.add_column(_utc("window_started_at", nullable=True))
        batch.add_column(sa.Column("window_failures", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE login_throttle SET"
        " window_started_at = COALESCE((SELECT min(f.failed_at) FROM login_failures f"
        " WHERE f.key = login_throttle.key), updated_at),"
        " window_failures = (SELECT count(*) FROM login_failures f"
        " WHERE f.key = login_throttle.key)"
    )
    op.drop_index("ix_login_failures_key_failed_at", table_name="login_failures")
    op.drop_table("login_failures")
    with op.batch_alter_table("login_throttle") as batch:
        batch.alter_column("window_started_at", nullable=False)
        batch.alter_column("window_failures", nullable=False)
