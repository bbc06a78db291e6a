"""KPI covering indexes

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03

On PostgreSQL, the KPI period indexes carry the columns the KPIs read (`INCLUDE`), so the
month's figures come from index-only scans of the month instead of one heap page per row
(issue 15). SQLite has no `INCLUDE`: its period indexes stay as they are. On both engines,
`ix_service_requests_id_project_customer` gives a request's project and customer by its key
from the index alone (the labour cost of a period probes it once per request worked on).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, key column, included columns)
COVERING = [
    (
        "ix_service_requests_closed_at",
        "service_requests",
        "closed_at",
        ["status", "created_at", "resolution_due_at", "revision_count", "assigned_engineer_id"],
    ),
    (
        "ix_service_requests_first_response_at",
        "service_requests",
        "first_response_at",
        ["created_at", "response_due_at"],
    ),
    ("ix_service_requests_created_at", "service_requests", "created_at", ["assigned_engineer_id"]),
    ("ix_work_logs_work_date", "work_logs", "work_date", ["request_id", "engineer_id", "hours"]),
    ("ix_completion_approvals_decided_at", "completion_approvals", "decided_at", ["decision"]),
]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    op.create_index(
        "ix_service_requests_id_project_customer",
        "service_requests",
        ["id", "project_id", "customer_id"],
        unique=False,
    )
    if not _postgresql():
        return
    for name, table, column, include in COVERING:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [column], unique=False, postgresql_include=include)


def downgrade() -> None:
    if _postgresql():
        for name, table, column, _ in reversed(COVERING):
            op.drop_index(name, table_name=table)
            op.create_index(name, table, [column], unique=False)
    op.drop_index("ix_service_requests_id_project_customer", table_name="service_requests")
