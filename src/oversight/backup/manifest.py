"""The manifest: the last object a backup writes, and the only proof that a backup exists.

Objects of backup `<id>` in set `<set>`: `<set>/<id>.age` (the encrypted archive) and
`<set>/<id>.manifest.json`. A backup whose manifest is missing, unreadable, names another
backup, or whose object is missing or of another size does not exist for list, restore or
rotation (`catalogue`).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, ValidationError

from oversight.backup.errors import BackupError, BackupNotFound
from oversight.storage import ObjectNotFound, Storage, StorageError

FORMAT = 1
OBJECT_SUFFIX = ".age"
MANIFEST_SUFFIX = ".manifest.json"
ID_PATTERN = re.compile(r"^(\d{8}T\d{6}Z)-([0-9a-f]{6})$")
MAX_MANIFEST_BYTES = 1024 * 1024


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int = FORMAT
    id: str
    set: str
    created_at: datetime
    app_version: str
    engine: str
    engine_version: str
    alembic_revision: str | None
    tool_versions: dict[str, str]
    object: str
    ciphertext_size: int
    ciphertext_sha256: str
    plaintext_size: int
    plaintext_sha256: str
    database_members: list[str]
    files: int
    file_bytes: int
    extra_paths: list[str]
    row_counts: dict[str, int]
    audit_last_id: int
    audit_head_hash: str

    def to_json(self) -> bytes:
        return json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True).encode()


def new_id(now: datetime) -> str:
    """`YYYYMMDDTHHMMSSZ-xxxxxx`: sorts by time, unique across hosts."""
    return f"{now.astimezone(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def id_time(backup_id: str) -> datetime:
    match = ID_PATTERN.match(backup_id)
    if not match:
        raise BackupError(f"not a backup id: {backup_id!r}")
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def object_name(set_name: str, backup_id: str) -> str:
    return f"{set_name}/{backup_id}{OBJECT_SUFFIX}"


def manifest_name(set_name: str, backup_id: str) -> str:
    return f"{set_name}/{backup_id}{MANIFEST_SUFFIX}"


def parse_manifest(data: bytes, *, expected_id: str | None = None) -> Manifest:
    """The manifest in `data`; `BackupError` if it is not one, or names another backup."""
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError as error:
        raise BackupError(f"not a valid manifest: {error.errors()[0]['msg']}") from None
    if expected_id is not None and manifest.id != expected_id:
        raise BackupError(f"the manifest of {expected_id} describes another backup ({manifest.id})")
    if manifest.object != object_name(manifest.set, manifest.id):
        raise BackupError(f"the manifest of {manifest.id} names another object ({manifest.object})")
    return manifest


def read_manifest(storage: Storage, set_name: str, backup_id: str) -> Manifest:
    name = manifest_name(set_name, backup_id)
    with storage.get(name) as stream:
        data = stream.read(MAX_MANIFEST_BYTES + 1)
    if len(data) > MAX_MANIFEST_BYTES:
        raise BackupError(f"{name} is too large to be a manifest")
    return parse_manifest(data, expected_id=backup_id)


@dataclass(frozen=True, slots=True)
class Entry:
    """One name in the backup folder: a verified backup (`manifest`) or not (`problem`)."""

    id: str
    time: datetime
    manifest: Manifest | None
    problem: str | None

    @property
    def verified(self) -> bool:
        return self.manifest is not None


def catalogue(storage: Storage, set_name: str) -> list[Entry]:
    """Every backup id seen under `<set>/`, oldest first (by the manifest's time), each
    checked: manifest readable and naming it, object present with the manifest's size.
    Objects that are not ours by name are ignored (never touched)."""
    objects: dict[str, int] = {}
    manifests: set[str] = set()
    for info in storage.list_objects(f"{set_name}/"):
        base = info.name[len(set_name) + 1 :]
        if "/" in base:
            continue
        if base.endswith(OBJECT_SUFFIX) and ID_PATTERN.match(base[: -len(OBJECT_SUFFIX)]):
            objects[base[: -len(OBJECT_SUFFIX)]] = info.size
        elif base.endswith(MANIFEST_SUFFIX) and ID_PATTERN.match(base[: -len(MANIFEST_SUFFIX)]):
            manifests.add(base[: -len(MANIFEST_SUFFIX)])
    entries = [
        _check(storage, set_name, backup_id, objects.get(backup_id), manifests)
        for backup_id in set(objects) | manifests
    ]
    return sorted(entries, key=lambda entry: (entry.time, entry.id))


def _check(
    storage: Storage, set_name: str, backup_id: str, size: int | None, manifests: set[str]
) -> Entry:
    time = id_time(backup_id)
    if backup_id not in manifests:
        return Entry(backup_id, time, None, "no manifest (incomplete backup)")
    try:
        manifest = read_manifest(storage, set_name, backup_id)
    except (BackupError, StorageError) as error:
        return Entry(backup_id, time, None, str(error))
    if size is None:
        return Entry(backup_id, time, None, "file_missing: the manifest's object is missing")
    if size != manifest.ciphertext_size:
        return Entry(
            backup_id,
            time,
            None,
            f"size_invalid: object is {size} bytes, manifest says {manifest.ciphertext_size}",
        )
    if manifest.set != set_name:
        return Entry(backup_id, time, None, f"the manifest belongs to the set {manifest.set}")
    return Entry(backup_id, manifest.created_at, manifest, None)


def verified(entries: list[Entry]) -> Iterator[Manifest]:
    for entry in entries:
        if entry.manifest is not None:
            yield entry.manifest


def find(storage: Storage, set_name: str, backup_id: str) -> Manifest:
    """The verified manifest of `backup_id`, else a `BackupError` saying why it does not exist."""
    id_time(backup_id)
    try:
        storage.stat(manifest_name(set_name, backup_id))
    except ObjectNotFound:
        raise BackupNotFound(f"no backup {backup_id} in {storage.display}/{set_name}") from None
    entry = _check(
        storage, set_name, backup_id, _size(storage, object_name(set_name, backup_id)), {backup_id}
    )
    if entry.manifest is None:
        raise BackupError(f"backup {backup_id}: {entry.problem}")
    return entry.manifest


def _size(storage: Storage, name: str) -> int | None:
    try:
        return storage.stat(name).size
    except ObjectNotFound:
        return None
