"""Moving every encrypted row onto the active key: status per key id, and a resumable rotation.

Each row records the key all its ciphertexts and blind indexes are under (`pii_key_id`). The
rotation takes the rows not on the active key in primary-key order, a batch per transaction:
decrypts each field with whichever key of the ring sealed it, seals it again with the active
key and recomputes its blind index. A batch that commits is done for good, so an interrupted
rotation simply runs again and continues with the rows left. Every model declaring an
`EncryptedField` is covered: customer and user contact details, and users' TOTP secrets.

While it runs, the ring holds both keys: reads decrypt either, and lookups match a value's
blind index under every key of the ring (`EncryptedField.candidates`), so rows not yet moved
are still found. A row changed by the application meanwhile is re-sealed whole under the
active key by the ORM; the rotation's UPDATE only applies when the row still holds the exact
ciphertexts it read, so such a change is never overwritten.

Re-encryption changes no value, so it leaves no per-row audit entries (it writes through the
connection, below the change capture); the rotation itself is recorded: one event when it
starts, one when it completes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Table, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from oversight.audit.events import record_event
from oversight.db.base import Base
from oversight.db.encrypted import (
    FieldSpec,
    UndecryptableField,
    encrypted_fields,
    open_values,
    seal_values,
)
from oversight.db.session import unit_of_work
from oversight.security.fieldcrypt import Keyring

__all__ = ["BATCH_SIZE", "RotationStalled", "UndecryptableField", "rotate", "rows_per_key"]

BATCH_SIZE = 500

BatchDone = Callable[[str, int, int], None]
"""`on_batch(table, rows_done_in_table, rows_left_in_table)`, after each committed batch."""


class RotationStalled(Exception):
    """Rows went back to another key while being rotated (a process with an old active key)."""


@dataclass(frozen=True, slots=True)
class EncryptedTable:
    table: Table
    fields: list[FieldSpec]

    @property
    def name(self) -> str:
        return self.table.name

    @property
    def key(self) -> Column[Any]:
        """The single-column primary key rows are taken in order of (`id`, `user_id`...)."""
        [column] = self.table.primary_key.columns
        return column


def encrypted_tables() -> list[EncryptedTable]:
    """Every table with encrypted fields, by name."""
    import oversight.models  # noqa: F401 - every model registered with the metadata

    found = []
    for mapper in Base.registry.mappers:
        fields = encrypted_fields(mapper.class_)
        if fields:
            table = mapper.local_table
            assert isinstance(table, Table)
            found.append(EncryptedTable(table, [FieldSpec.of(field) for field in fields]))
    return sorted(found, key=lambda item: item.name)


def rows_per_key(connection: Connection) -> dict[str, dict[str | None, int]]:
    """For each encrypted table: how many rows are on each key id (None: nothing sealed yet)."""
    result: dict[str, dict[str | None, int]] = {}
    for item in encrypted_tables():
        key_id = item.table.c.pii_key_id
        counts = connection.execute(
            select(key_id, func.count()).group_by(key_id).order_by(key_id)
        ).all()
        result[item.name] = {kid: int(count) for kid, count in counts}
    return result


def _not_on(item: EncryptedTable, active: str) -> Any:
    key_id = item.table.c.pii_key_id
    return or_(key_id.is_(None), key_id != active)


def rows_left(connection: Connection, keyring: Keyring) -> dict[str, int]:
    """Rows of each encrypted table not yet on the active key."""
    return {
        item.name: int(
            connection.scalar(
                select(func.count())
                .select_from(item.table)
                .where(_not_on(item, keyring.active_key_id))
            )
            or 0
        )
        for item in encrypted_tables()
    }


def _rotate_batch(
    connection: Connection, item: EncryptedTable, keyring: Keyring, batch_size: int
) -> int:
    """Re-seal up to `batch_size` rows not on the active key; the number of rows taken."""
    table, key = item.table, item.key
    sealed_columns = [table.c[spec.ciphertext_column] for spec in item.fields]
    statement = (
        select(key.label("_key"), table.c.row_uid, table.c.pii_key_id, *sealed_columns)
        .where(_not_on(item, keyring.active_key_id))
        .order_by(key)
        .limit(batch_size)
        .with_for_update()
    )
    rows = connection.execute(statement).all()
    if not rows:
        return 0
    updates = []
    for row in rows:
        sealed = [row._mapping[column] for column in sealed_columns]
        values = open_values(item.fields, sealed, row.row_uid, keyring)
        stored = seal_values(item.fields, values, row.row_uid, keyring)
        guard = {
            f"old_{column.name}": value
            for column, value in zip(sealed_columns, sealed, strict=True)
        }
        updates.append({"_id": row._key, "old_pii_key_id": row.pii_key_id, **guard, **stored})
    new_columns = [name for name in updates[0] if not name.startswith(("_", "old_"))]
    # Only where the row still holds what was read: an edit made meanwhile wins.
    unchanged = [key == bindparam("_id")]
    unchanged += [
        column.is_not_distinct_from(bindparam(f"old_{column.name}"))
        for column in [table.c.pii_key_id, *sealed_columns]
    ]
    result = connection.execute(
        table.update()
        .where(and_(*unchanged))
        .values({name: bindparam(name) for name in new_columns}),
        updates,
    )
    if result.rowcount == 0 and connection.dialect.supports_sane_multi_rowcount:
        raise RotationStalled(
            f"{table.name}: rows {rows[0]._key}..{rows[-1]._key} changed while being re-sealed and "
            f"are still not on key {keyring.active_key_id!r}; is every running process "
            "configured with that key as the active one?"
        )
    return len(rows)


def rotate(
    factory: sessionmaker[Session],
    keyring: Keyring,
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: BatchDone | None = None,
) -> dict[str, int]:
    """Move every encrypted row onto `keyring`'s active key; rows re-sealed per table.

    Each batch commits on its own; running again after an interruption continues where it
    stopped. UndecryptableField stops it at a row none of the ring's keys opens.
    """
    active = keyring.active_key_id
    with unit_of_work(factory) as session:
        left = rows_left(session.connection(), keyring)
        record_event(
            session,
            "keys.rotation_started",
            entity_type="encryption_key",
            entity_id=active,
            details={"active_key_id": active, "key_ids": list(keyring.key_ids), "rows_left": left},
        )
    done = dict.fromkeys(left, 0)
    for item in encrypted_tables():
        while True:
            with unit_of_work(factory) as session:
                taken = _rotate_batch(session.connection(), item, keyring, batch_size)
                remaining = rows_left(session.connection(), keyring)[item.name] if taken else 0
            if not taken:
                break
            done[item.name] += taken
            if on_batch is not None:
                on_batch(item.name, done[item.name], remaining)
    with unit_of_work(factory) as session:
        record_event(
            session,
            "keys.rotation_completed",
            entity_type="encryption_key",
            entity_id=active,
            details={"active_key_id": active, "rows_resealed": done},
        )
    return done
