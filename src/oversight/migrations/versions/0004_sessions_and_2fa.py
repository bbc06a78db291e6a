"""sessions and two-factor authentication

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22

Login sessions (refresh-token families) and their refresh tokens (SHA-256 only), TOTP
enrolments, recovery codes (SHA-256 only), and the login throttle's failure counters.

A TOTP secret is an encrypted field (oversight.db.encrypted): AES-256-GCM ciphertext
`secret_ct` bound to the row's `row_uid`, and `pii_key_id`, the key the row is on, so that
`oversight keys rotate` re-seals it. The table is new here, with no rows to convert, so it is
created with these columns rather than given them by 0005 (field encryption of contact
details, which converts existing plaintext rows of other tables).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import oversight.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _utc(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, oversight.db.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        _utc("window_started_at"),
        sa.Column("window_failures", sa.Integer(), nullable=False),
        _utc("blocked_until", nullable=True),
        _utc("updated_at"),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_throttle")),
    )
    op.create_table(
        "auth_sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("second_factor", sa.String(length=16), nullable=True),
        _utc("created_at"),
        _utc("expires_at"),
        _utc("revoked_at", nullable=True),
        sa.Column("revoked_reason", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_auth_sessions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_sessions")),
    )
    op.create_index(op.f("ix_auth_sessions_user_id"), "auth_sessions", ["user_id"])
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        _utc("issued_at"),
        _utc("expires_at"),
        _utc("used_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["auth_sessions.id"],
            name=op.f("fk_refresh_tokens_session_id_auth_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(op.f("ix_refresh_tokens_session_id"), "refresh_tokens", ["session_id"])
    op.create_table(
        "user_totp",
        sa.Column("user_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("secret_ct", sa.LargeBinary(), nullable=False),
        _utc("created_at"),
        _utc("confirmed_at", nullable=True),
        sa.Column("last_used_step", sa.BigInteger(), nullable=True),
        sa.Column("row_uid", sa.Uuid(), nullable=False),
        sa.Column("pii_key_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_totp_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_totp")),
    )
    op.create_index(op.f("ix_user_totp_row_uid"), "user_totp", ["row_uid"], unique=True)
    op.create_index(op.f("ix_user_totp_pii_key_id"), "user_totp", ["pii_key_id"], unique=False)
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        _utc("created_at"),
        _utc("used_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
        sa.UniqueConstraint("user_id", "code_hash", name=op.f("uq_recovery_codes_user_id")),
    )


def downgrade() -> None:
    op.drop_table("recovery_codes")
    op.drop_index(op.f("ix_user_totp_pii_key_id"), table_name="user_totp")
    op.drop_index(op.f("ix_user_totp_row_uid"), table_name="user_totp")
    op.drop_table("user_totp")
    op.drop_index(op.f("ix_refresh_tokens_session_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(op.f("ix_auth_sessions_user_id"), table_name="auth_sessions")
    op.drop_table("auth_sessions")
    op.drop_table("login_throttle")
