"""analytics indexes and data version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22

Indexes for the KPI queries' period filters, and the seeded `analytics-data-version` counter
that every write to a KPI input bumps (see oversight.analytics.version).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = [
    ("ix_service_requests_first_response_at", "service_requests", ["first_response_at"]),
    ("ix_completion_approvals_decided_at", "completion_approvals", ["decided_at"]),
    ("ix_work_logs_work_date", "work_logs", ["work_date"]),
    ("ix_invoices_issued_on", "invoices", ["issued_on"]),
    ("ix_invoices_paid_on", "invoices", ["paid_on"]),
    ("ix_invoices_status_due_on", "invoices", ["status", "due_on"]),
    ("ix_project_costs_incurred_on", "project_costs", ["incurred_on"]),
]


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    sequences = sa.table("number_sequences", sa.column("name"), sa.column("last_value"))
    op.bulk_insert(sequences, [{"name": "analytics-data-version", "last_value": 0}])


def downgrade() -> None:
    op.execute("DELETE FROM number_sequences WHERE name = 'analytics-data-version'")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
