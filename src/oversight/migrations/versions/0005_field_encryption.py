"""field encryption of contact details

Revision ID: 0005
Revises: 0006
Create Date: 2026-11-24

Customer contact name, phone and e-mail, and user name, e-mail and phone (a client's account
carries the contact person's name) move from plaintext columns
to AES-256-GCM ciphertexts (`<field>_ct`) with blind indexes (`<field>_bidx`) where lookups
need them (oversight.db.encrypted). Every row gets its `row_uid` (the row identity bound into
the ciphertexts) and `pii_key_id`.

Existing rows are encrypted here with the configured active key (the engine's keyring, else
the settings': the development key in a development checkout), and the plaintext columns are
dropped in the same transaction: no plaintext is left behind. Downgrade decrypts them back.

On SQLite a NOT NULL column cannot be added without a default, and rebuilding the table would
trip the foreign keys pointing at it, so `row_uid` is added with an empty default that every
row is given a real value over at once; the ORM and the bulk loader always supply one.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from oversight.db.encrypted import FieldSpec, migration_keyring, open_values, seal_values
from oversight.security.fieldcrypt import normalise_email, normalise_phone

revision: str = "0005"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (field, plaintext column length, normaliser for a blind index or None)
REQUIRED = {("users", "full_name")}  # NOT NULL as plaintext (restored so by the downgrade)
FIELDS = {
    "customers": [
        ("contact_person", 200, None),
        ("phone", 32, normalise_phone),
        ("email", 320, normalise_email),
    ],
    "users": [
        ("full_name", 200, None),
        ("email", 320, normalise_email),
        ("phone", 32, None),
    ],
}


def _specs(table: str) -> list[FieldSpec]:
    return [FieldSpec(table, name, normalise) for name, _, normalise in FIELDS[table]]


def upgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    keyring = migration_keyring(bind)
    for table, fields in FIELDS.items():
        op.add_column(
            table,
            sa.Column(
                "row_uid",
                sa.Uuid(),
                nullable=not sqlite,
                server_default=sa.text("''") if sqlite else None,
            ),
        )
        op.add_column(table, sa.Column("pii_key_id", sa.String(length=32), nullable=True))
        for name, _, normalise in fields:
            op.add_column(table, sa.Column(f"{name}_ct", sa.LargeBinary(), nullable=True))
            if normalise is not None:
                op.add_column(table, sa.Column(f"{name}_bidx", sa.LargeBinary(), nullable=True))

        specs = _specs(table)
        plain = sa.table(table, sa.column("id"), *(sa.column(name) for name, _, _ in fields))
        stored = sa.table(
            table,
            sa.column("id"),
            sa.column("row_uid", sa.Uuid()),
            sa.column("pii_key_id"),
            *(sa.column(f"{name}_ct", sa.LargeBinary()) for name, _, _ in fields),
            *(
                sa.column(f"{name}_bidx", sa.LargeBinary())
                for name, _, normalise in fields
                if normalise is not None
            ),
        )
        updates = []
        for row in bind.execute(sa.select(plain)).all():
            row_uid = uuid.uuid4()
            values = [getattr(row, name) for name, _, _ in fields]
            updates.append(
                {"_id": row.id, "row_uid": row_uid, **seal_values(specs, values, row_uid, keyring)}
            )
        if updates:
            columns = [key for key in updates[0] if key != "_id"]
            bind.execute(
                stored.update()
                .where(stored.c.id == sa.bindparam("_id"))
                .values({column: sa.bindparam(column) for column in columns}),
                updates,
            )

        for name, _, _ in fields:
            op.drop_column(table, name)
        if not sqlite:
            op.alter_column(table, "row_uid", existing_type=sa.Uuid(), nullable=False)
        op.create_index(op.f(f"ix_{table}_row_uid"), table, ["row_uid"], unique=True)
        op.create_index(op.f(f"ix_{table}_pii_key_id"), table, ["pii_key_id"], unique=False)
        for name, _, normalise in fields:
            if normalise is not None:
                op.create_index(op.f(f"ix_{table}_{name}_bidx"), table, [f"{name}_bidx"])


def downgrade() -> None:
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    keyring = migration_keyring(bind)
    for table, fields in FIELDS.items():
        for name, length, _ in fields:
            required = (table, name) in REQUIRED
            op.add_column(
                table,
                sa.Column(
                    name,
                    sa.String(length=length),
                    nullable=not (required and sqlite),
                    server_default=sa.text("''") if required and sqlite else None,
                ),
            )
        specs = _specs(table)
        stored = sa.table(
            table,
            sa.column("id"),
            sa.column("row_uid", sa.Uuid()),
            *(sa.column(f"{name}_ct", sa.LargeBinary()) for name, _, _ in fields),
        )
        plain = sa.table(table, sa.column("id"), *(sa.column(name) for name, _, _ in fields))
        updates = []
        for row in bind.execute(sa.select(stored)).all():
            sealed = [getattr(row, f"{name}_ct") for name, _, _ in fields]
            values = open_values(specs, sealed, row.row_uid, keyring)
            updates.append(
                {
                    "_id": row.id,
                    **{name: value for (name, _, _), value in zip(fields, values, strict=True)},
                }
            )
        if updates:
            bind.execute(
                plain.update()
                .where(plain.c.id == sa.bindparam("_id"))
                .values({name: sa.bindparam(name) for name, _, _ in fields}),
                updates,
            )
        for name, length, _ in fields:
            if (table, name) in REQUIRED and not sqlite:
                op.alter_column(table, name, existing_type=sa.String(length), nullable=False)
        for name, _, normalise in fields:
            if normalise is not None:
                op.drop_index(op.f(f"ix_{table}_{name}_bidx"), table_name=table)
        op.drop_index(op.f(f"ix_{table}_pii_key_id"), table_name=table)
        op.drop_index(op.f(f"ix_{table}_row_uid"), table_name=table)
        for name, _, normalise in fields:
            op.drop_column(table, f"{name}_ct")
            if normalise is not None:
                op.drop_column(table, f"{name}_bidx")
        op.drop_column(table, "pii_key_id")
        op.drop_column(table, "row_uid")
