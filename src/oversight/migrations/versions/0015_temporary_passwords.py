"""temporary passwords

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02

An administrator can set a temporary password that its user must change at the next login:
`users.must_change_password`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, no batch mode: on SQLite, batch mode copies and drops `users` (for a
# non-literal default, or to drop a column), which the foreign keys of every table pointing
# at a user refuse once it has rows — a restored backup migrated forward, a downgrade.


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # SQLite >= 3.35 drops a column in place (as 0005 does).
    op.drop_column("users", "must_change_password")
