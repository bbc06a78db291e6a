"""service desk core

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import oversight.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_person", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("created_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("name", name=op.f("uq_customers_name")),
    )
    op.create_table(
        "number_sequences",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_number_sequences")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "director",
                "accountant",
                "project_manager",
                "engineer",
                "client",
                "viewer",
                name="role",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column(
            "weekly_capacity_hours", oversight.db.types.Hours(precision=7, scale=2), nullable=True
        ),
        sa.Column("cost_rate", oversight.db.types.Money(precision=14, scale=2), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(role = 'client' AND customer_id IS NOT NULL) OR (role <> 'client' AND customer_id IS NULL)",
            name=op.f("ck_users_client_has_customer"),
        ),
        sa.CheckConstraint("cost_rate >= 0", name=op.f("ck_users_cost_rate_not_negative")),
        sa.CheckConstraint(
            "weekly_capacity_hours >= 0", name=op.f("ck_users_capacity_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_users_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_role"), ["role"], unique=False)

    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("budget", oversight.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planned",
                "active",
                "on_hold",
                "completed",
                "cancelled",
                name="projectstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("created_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("budget >= 0", name=op.f("ck_projects_budget_not_negative")),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date", name=op.f("ck_projects_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_projects_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["users.id"],
            name=op.f("fk_projects_manager_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("code", name=op.f("uq_projects_code")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_projects_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_projects_manager_id"), ["manager_id"], unique=False)

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("amount", oversight.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "issued",
                "paid",
                "cancelled",
                name="invoicestatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("cancelled_on", sa.Date(), nullable=True),
        sa.Column("cancellation_reason", sa.Text(), nullable=True),
        sa.Column("created_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_invoices_amount_positive")),
        sa.CheckConstraint(
            "due_on IS NULL OR issued_on IS NULL OR due_on >= issued_on",
            name=op.f("ck_invoices_due_after_issue"),
        ),
        sa.CheckConstraint(
            "paid_on IS NULL OR paid_on >= issued_on", name=op.f("ck_invoices_paid_after_issue")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_invoices_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_invoices_project_id_projects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoices_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoices_status"), ["status"], unique=False)

    op.create_table(
        "project_costs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "materials",
                "equipment",
                "subcontract",
                "travel",
                "other",
                name="costcategory",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("amount", oversight.db.types.Money(precision=14, scale=2), nullable=False),
        sa.Column("created_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_project_costs_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_costs_project_id_projects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_project_costs")),
    )
    with op.batch_alter_table("project_costs", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_costs_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "service_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column(
            "priority",
            sa.Enum(
                "critical", "high", "medium", "low", name="priority", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "new",
                "assigned",
                "in_progress",
                "awaiting_approval",
                "closed",
                "cancelled",
                name="requeststatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "first_response_at", oversight.db.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.Column("response_due_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "resolution_due_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("sla_paused_at", oversight.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("assigned_engineer_id", sa.Integer(), nullable=True),
        sa.Column("completed_at", oversight.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", oversight.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", oversight.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revision_count", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "revision_count >= 0", name=op.f("ck_service_requests_revisions_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["assigned_engineer_id"],
            ["users.id"],
            name=op.f("fk_service_requests_assigned_engineer_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_service_requests_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_service_requests_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_service_requests_project_id_projects"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_service_requests_number")),
    )
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_requests_assigned_engineer_id"),
            ["assigned_engineer_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_service_requests_closed_at"), ["closed_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_requests_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_requests_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_service_requests_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            "ix_service_requests_status_priority", ["status", "priority"], unique=False
        )

    op.create_table(
        "completion_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum("approved", "rejected", name="approvaldecision", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_completion_approvals_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_requests.id"],
            name=op.f("fk_completion_approvals_request_id_service_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_completion_approvals")),
    )
    with op.batch_alter_table("completion_approvals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_completion_approvals_request_id"), ["request_id"], unique=False
        )

    op.create_table(
        "work_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("engineer_id", sa.Integer(), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("hours", oversight.db.types.Hours(precision=7, scale=2), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", oversight.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("hours > 0 AND hours <= 24", name=op.f("ck_work_logs_hours_in_day")),
        sa.ForeignKeyConstraint(
            ["engineer_id"],
            ["users.id"],
            name=op.f("fk_work_logs_engineer_id_users"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_requests.id"],
            name=op.f("fk_work_logs_request_id_service_requests"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_logs")),
    )
    with op.batch_alter_table("work_logs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_work_logs_engineer_id_work_date", ["engineer_id", "work_date"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_work_logs_request_id"), ["request_id"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("work_logs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_logs_request_id"))
        batch_op.drop_index("ix_work_logs_engineer_id_work_date")

    op.drop_table("work_logs")
    with op.batch_alter_table("completion_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_completion_approvals_request_id"))

    op.drop_table("completion_approvals")
    with op.batch_alter_table("service_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_service_requests_status_priority")
        batch_op.drop_index(batch_op.f("ix_service_requests_project_id"))
        batch_op.drop_index(batch_op.f("ix_service_requests_customer_id"))
        batch_op.drop_index(batch_op.f("ix_service_requests_created_at"))
        batch_op.drop_index(batch_op.f("ix_service_requests_closed_at"))
        batch_op.drop_index(batch_op.f("ix_service_requests_assigned_engineer_id"))

    op.drop_table("service_requests")
    with op.batch_alter_table("project_costs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_project_costs_project_id"))

    op.drop_table("project_costs")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoices_status"))
        batch_op.drop_index(batch_op.f("ix_invoices_project_id"))
        batch_op.drop_index(batch_op.f("ix_invoices_customer_id"))

    op.drop_table("invoices")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_manager_id"))
        batch_op.drop_index(batch_op.f("ix_projects_customer_id"))

    op.drop_table("projects")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_role"))
        batch_op.drop_index(batch_op.f("ix_users_customer_id"))

    op.drop_table("users")
    op.drop_table("number_sequences")
    op.drop_table("customers")
