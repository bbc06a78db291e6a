"""audit: indexes ordered by time for the newest-first trail

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-22

The trail lists events newest first by (occurred_at, id). Each filter's index now ends in
(occurred_at, id), so a filter combined with a time range reads one index range backwards
and stops after a page, instead of walking every newer event of that filter.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# name: (columns before, columns after)
INDEXES = {
    "ix_audit_events_actor": (["actor_id", "id"], ["actor_id", "occurred_at", "id"]),
    "ix_audit_events_action": (["action", "id"], ["action", "occurred_at", "id"]),
    "ix_audit_events_client_ip": (["client_ip", "id"], ["client_ip", "occurred_at", "id"]),
    "ix_audit_events_occurred_at": (["occurred_at"], ["occurred_at", "id"]),
}


def _rebuild(columns_index: int) -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="audit_events")
        op.create_index(name, "audit_events", columns[columns_index], unique=False)


def upgrade() -> None:
    _rebuild(1)


def downgrade() -> None:
    _rebuild(0)
