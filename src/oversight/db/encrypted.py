"""Encrypted model attributes: plaintext in Python, AES-GCM ciphertext (and a blind index for
equality lookups) in the database.

A model declares the storage columns and the plaintext attribute side by side::

    class Customer(EncryptedRow, Timestamped, Base):
        phone_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
        phone_bidx: Mapped[bytes | None] = mapped_column(LargeBinary, index=True)
        phone = EncryptedField(normalise=normalise_phone)   # blind-indexed
        notes_ct: Mapped[bytes | None] = mapped_column(LargeBinary)
        notes = EncryptedField()                              # no lookups, no index

`customer.phone` reads and writes plaintext; the session only ever sees `phone_ct` and
`phone_bidx`. Each ciphertext is bound (associated data) to its table, its field and the row's
`row_uid`, so a ciphertext copied to another row or column does not decrypt.

Why `row_uid` and not the primary key: an autoincrement id exists only after the INSERT, and
the value must be sealed before it. `row_uid` is a random UUID drawn when the row is first
sealed, unique and never changed. `pii_key_id` records the key every ciphertext of the row is
under (a row is always re-sealed as a whole), which is how rotation finds the rows left to do.

The keyring comes from the engine the object's session is bound to (`bind_keyring`, done by
`oversight.wiring.open_database`); there is no process-wide fallback, so an engine opened
without it fails loudly (`KeyringNotBound`) instead of sealing under whatever key the process
settings happen to name. Objects not yet in a session keep the plaintext until the flush seals
it (a before_flush hook, registered ahead of the audit capture's the first time it is needed).
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Self, TypeVar, overload

from sqlalchemy import ColumnElement, Connection, Engine, String, Uuid, event, false
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column, object_session
from sqlalchemy.orm.attributes import flag_modified

from oversight.security.fieldcrypt import DecryptionError, Keyring, associated_data

T = TypeVar("T")

_KEYRINGS: weakref.WeakKeyDictionary[Engine, Keyring] = weakref.WeakKeyDictionary()
_PLAIN = "_oversight_plaintext"
_KEYRING = "_oversight_keyring"
_UNSEALED = object()


class UndecryptableField(DecryptionError):
    """A stored ciphertext does not open for its row and column (moved, altered, unknown key)."""


class KeyringNotBound(RuntimeError):
    """Encrypted fields were touched through an engine with no keyring bound to it."""


def bind_keyring(engine: Engine, keyring: Keyring) -> None:
    """Use `keyring` for every session bound to `engine`."""
    _KEYRINGS[engine] = keyring


def keyring_for(bind: Session | Connection | Engine) -> Keyring:
    """The keyring bound to a session's, connection's or engine's engine (KeyringNotBound
    when there is none: open databases with `oversight.wiring.open_database`)."""
    if isinstance(bind, Session):
        bind = bind.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    # Sessions are bound to an option view of the engine (db.session.session_factory), which
    # SQLAlchemy keeps as a proxy of the engine the keyring was bound to.
    keyring = _KEYRINGS.get(engine)
    if keyring is None:
        keyring = _KEYRINGS.get(getattr(engine, "_proxied", engine))
    if keyring is None:
        raise KeyringNotBound(
            f"no encryption keyring is bound to the engine for {engine.url!r}; open the "
            "database with oversight.wiring.open_database(settings)"
        )
    return keyring


def migration_keyring(bind: Connection) -> Keyring:
    """The keyring for a schema migration: the engine's when the migration runs from
    `oversight migrate` (or tests), else the process settings' (Alembic's own command line,
    which opens its own engine)."""
    try:
        return keyring_for(bind)
    except KeyringNotBound:
        from oversight.config import get_settings

        return get_settings().encryption.keyring


def field_aad(table: str, field: str, row_uid: uuid.UUID) -> bytes:
    """The associated data a field's ciphertext is bound to. A storage format: never change."""
    return associated_data(table, field, str(row_uid))


def index_name(table: str, field: str) -> str:
    """The name a field's blind-index key is derived under. A storage format: never change."""
    return f"{table}.{field}"


class EncryptedRow:
    """Mixin for models with encrypted fields: the row identity and the key the row is on."""

    row_uid: Mapped[uuid.UUID] = mapped_column(Uuid, index=True, unique=True, default=uuid.uuid4)
    pii_key_id: Mapped[str | None] = mapped_column(String(32), index=True)


class EncryptedField:
    """A plaintext attribute stored as `<name>_ct` (and `<name>_bidx` when `normalise` is given:
    the form values are compared in, e.g. lower-case e-mail)."""

    def __init__(self, *, normalise: Callable[[str], str] | None = None) -> None:
        self.normalise = normalise

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.model, self.name = owner, name
        self.ciphertext_attr = f"{name}_ct"
        self.index_attr = f"{name}_bidx" if self.normalise is not None else None

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> str | None: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> Self | str | None:
        if obj is None:
            return self
        sealed = getattr(obj, self.ciphertext_attr)
        cached = obj.__dict__.get(_PLAIN, {}).get(self.name)
        if cached is not None and (cached[0] is _UNSEALED or cached[0] == sealed):
            return cached[1]  # type: ignore[no-any-return]
        if sealed is None:
            return None
        plaintext = self.open(obj, sealed, _keyring_of(obj))
        obj.__dict__.setdefault(_PLAIN, {})[self.name] = (sealed, plaintext)
        return plaintext

    def __set__(self, obj: object, value: str | None) -> None:
        plain: dict[str, Any] = obj.__dict__.setdefault(_PLAIN, {})
        current = plain.get(self.name)
        if current is None and getattr(obj, self.ciphertext_attr) is None and value is None:
            return
        stored = current is not None or getattr(obj, self.ciphertext_attr) is not None
        if stored and self._readable_value(obj) == value:
            return  # unchanged: no new ciphertext, no audit entry
        plain[self.name] = (_UNSEALED, value)
        session = object_session(obj)
        if session is not None:
            seal(obj, keyring_for(session))
            return
        install_field_encryption()  # the flush seals it; registered before anything can flush
        if getattr(obj, self.ciphertext_attr, None) is not None:
            flag_modified(obj, self.ciphertext_attr)  # detached: seal when it is flushed again

    def _readable_value(self, obj: object) -> object:
        """The current value, or a marker equal to nothing when it does not decrypt (so a
        damaged value can still be overwritten)."""
        try:
            return self.__get__(obj, type(obj))
        except UndecryptableField:
            return _UNSEALED

    def open(self, obj: object, sealed: bytes, keyring: Keyring) -> str:
        """Decrypt this field's ciphertext of `obj` (UndecryptableField naming row and column)."""
        try:
            return keyring.decrypt_text(sealed, aad=field_aad(self.table, self.name, obj.row_uid))  # type: ignore[attr-defined]
        except DecryptionError as error:
            raise UndecryptableField(
                f"{self.table}.{self.name} of row id={getattr(obj, 'id', None)} does not decrypt: "
                f"{error}"
            ) from None

    def _write(self, obj: object, value: str | None, keyring: Keyring) -> None:
        row_uid = obj.row_uid  # type: ignore[attr-defined]
        sealed = (
            None
            if value is None
            else keyring.encrypt(value, aad=field_aad(self.table, self.name, row_uid))
        )
        setattr(obj, self.ciphertext_attr, sealed)
        if self.index_attr is not None:
            setattr(obj, self.index_attr, self.blind_index(value, keyring))
        obj.__dict__.setdefault(_PLAIN, {})[self.name] = (sealed, value)

    def blind_index(
        self, value: str | None, keyring: Keyring, key_id: str | None = None
    ) -> bytes | None:
        if value is None or self.normalise is None:
            return None
        column = index_name(self.table, self.name)
        return keyring.blind_index(self.normalise(value), column=column, key_id=key_id)

    # -- lookups ---------------------------------------------------------------------------

    def candidates(self, session: Session, value: str) -> ColumnElement[bool]:
        """A WHERE clause for rows that may hold `value`: its blind index under every key of the
        ring, as rows may be on the old key while a rotation runs. Filter with `matches`."""
        if self.index_attr is None or self.normalise is None:
            raise TypeError(f"{self.table}.{self.name} has no blind index to look up by")
        column = getattr(self.model, self.index_attr)
        indexes = keyring_for(session).blind_indexes(
            self.normalise(value), column=index_name(self.table, self.name)
        )
        if not indexes:
            return false()
        return column.in_(indexes)  # type: ignore[no-any-return]

    def matches(self, obj: object, value: str) -> bool:
        """True when `obj`'s decrypted value equals `value` once both are normalised."""
        stored = self.__get__(obj, type(obj))
        normalise = self.normalise or (lambda text: text)
        return stored is not None and normalise(stored) == normalise(value)


def encrypted_fields(model: type[Any]) -> list[EncryptedField]:
    """The encrypted fields a model declares, in declaration order."""
    found: dict[str, EncryptedField] = {}
    for klass in reversed(model.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, EncryptedField):
                found[name] = value
    return list(found.values())


def encrypted_models(models: Iterable[type[Any]]) -> list[type[Any]]:
    return [model for model in models if encrypted_fields(model)]


_SEALED_COLUMNS: dict[type[Any], tuple[dict[str, EncryptedField], frozenset[str]]] = {}


def sealed_columns(model: type[Any]) -> tuple[dict[str, EncryptedField], frozenset[str]]:
    """For a model: its ciphertext attributes -> their field, and the bookkeeping attributes
    (blind indexes, `row_uid`, `pii_key_id`) that carry no value of their own."""
    known = _SEALED_COLUMNS.get(model)
    if known is None:
        fields = encrypted_fields(model)
        sealed = {field.ciphertext_attr: field for field in fields}
        plumbing = {"row_uid", "pii_key_id"} | {f.index_attr for f in fields if f.index_attr}
        known = _SEALED_COLUMNS[model] = (sealed, frozenset(plumbing) if fields else frozenset())
    return known


def plaintext_changed(field: EncryptedField, obj: object, old_sealed: bytes | None) -> bool:
    """Whether `obj`'s value of `field` differs from the one `old_sealed` held."""
    new = field.__get__(obj, type(obj))
    if old_sealed is None:
        return new is not None
    try:
        old = field.open(obj, old_sealed, _keyring_of(obj))
    except UndecryptableField:
        return True  # a damaged value replaced
    return old != new


def _keyring_of(obj: object) -> Keyring:
    session = object_session(obj)
    if session is not None:
        keyring = keyring_for(session)
        obj.__dict__[_KEYRING] = keyring
        return keyring
    remembered = obj.__dict__.get(_KEYRING)
    if isinstance(remembered, Keyring):
        return remembered
    raise KeyringNotBound(
        f"{type(obj).__name__} holds ciphertext but was never in a session: no keyring to read it"
    )


def seal(obj: object, keyring: Keyring) -> None:
    """Encrypt `obj`'s pending plaintext with the active key. A row still on another key is
    re-sealed whole, so all its ciphertexts and indexes stay on one key (`pii_key_id`)."""
    obj.__dict__[_KEYRING] = keyring
    plain: dict[str, Any] = obj.__dict__.setdefault(_PLAIN, {})
    active = keyring.active_key_id
    previous = obj.pii_key_id  # type: ignore[attr-defined]
    rekey = previous is not None and previous != active
    pending = {name for name, (state, _) in plain.items() if state is _UNSEALED}
    if not pending and not rekey:
        return
    if obj.row_uid is None:  # type: ignore[attr-defined]
        obj.row_uid = uuid.uuid4()  # type: ignore[attr-defined]
    values = {}
    for field in encrypted_fields(type(obj)):
        if field.name in pending:
            values[field] = plain[field.name][1]
        elif rekey:
            values[field] = field.__get__(obj, type(obj))
    for field, value in values.items():
        field._write(obj, value, keyring)
    obj.pii_key_id = active  # type: ignore[attr-defined]


def _seal_pending(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    keyring: Keyring | None = None
    for obj in list(session.new) + list(session.dirty):
        plain = obj.__dict__.get(_PLAIN)
        if plain and any(state is _UNSEALED for state, _ in plain.values()):
            keyring = keyring or keyring_for(session)
            seal(obj, keyring)


_installed = False


def install_field_encryption() -> None:
    """Seal pending plaintext at flush, before any other before_flush hook (the audit capture
    must see ciphertexts). Idempotent; `EncryptedField` calls it before deferring a value."""
    global _installed
    if not _installed:
        if not event.contains(Session, "before_flush", _seal_pending):
            event.listen(Session, "before_flush", _seal_pending, insert=True)
        _installed = True


# -- rows without the ORM (bulk loads, migrations, rotation) ------------------------------


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A field's storage as plain data: for code that writes rows without the ORM."""

    table: str
    name: str
    normalise: Callable[[str], str] | None

    @property
    def ciphertext_column(self) -> str:
        return f"{self.name}_ct"

    @property
    def index_column(self) -> str | None:
        return f"{self.name}_bidx" if self.normalise is not None else None

    @classmethod
    def of(cls, field: EncryptedField) -> FieldSpec:
        return cls(field.table, field.name, field.normalise)


def seal_values(
    specs: Sequence[FieldSpec], values: Sequence[str | None], row_uid: uuid.UUID, keyring: Keyring
) -> dict[str, Any]:
    """The stored columns (ciphertexts, blind indexes, `pii_key_id`) for one row's plaintext."""
    columns: dict[str, Any] = {"pii_key_id": keyring.active_key_id}
    for spec, value in zip(specs, values, strict=True):
        if value is None:
            columns[spec.ciphertext_column] = None
        else:
            columns[spec.ciphertext_column] = keyring.encrypt(
                value, aad=field_aad(spec.table, spec.name, row_uid)
            )
        if spec.index_column is not None and spec.normalise is not None:
            columns[spec.index_column] = (
                None
                if value is None
                else keyring.blind_index(
                    spec.normalise(value), column=index_name(spec.table, spec.name)
                )
            )
    return columns


def open_values(
    specs: Sequence[FieldSpec],
    sealed: Sequence[bytes | None],
    row_uid: uuid.UUID,
    keyring: Keyring,
) -> list[str | None]:
    """The plaintext of one row's stored ciphertexts (UndecryptableField when one fails)."""
    values: list[str | None] = []
    for spec, ciphertext in zip(specs, sealed, strict=True):
        if ciphertext is None:
            values.append(None)
            continue
        try:
            values.append(
                keyring.decrypt_text(ciphertext, aad=field_aad(spec.table, spec.name, row_uid))
            )
        except DecryptionError as error:
            raise UndecryptableField(
                f"{spec.table}.{spec.name} of row {row_uid} does not decrypt: {error}"
            ) from None
    return values


def seal_rows(
    model: type[Any], columns: Sequence[str], rows: Iterable[Sequence[Any]], keyring: Keyring
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Rows for a bulk write of `model`: each plaintext field in `columns` replaced by its
    stored columns, plus `row_uid` and `pii_key_id`. Returns (columns, rows)."""
    specs = [FieldSpec.of(field) for field in encrypted_fields(model)]
    given = [spec for spec in specs if spec.name in columns]
    positions = [columns.index(spec.name) for spec in given]
    kept = [index for index, name in enumerate(columns) if index not in positions]
    out_columns = [columns[index] for index in kept] + ["row_uid"]
    sealed_names: list[str] | None = None
    out_rows = []
    for row in rows:
        row_uid = uuid.uuid4()
        stored = seal_values(given, [row[index] for index in positions], row_uid, keyring)
        if sealed_names is None:
            sealed_names = list(stored)
        out_rows.append((*(row[index] for index in kept), row_uid, *stored.values()))
    return out_columns + (sealed_names or []), out_rows
