"""Log and audit archives shipped to the backup storage: collect, pack, encrypt, upload.

The same pipeline as a backup (`making.encrypt_pipeline` into staging, `put_verified`,
`upload_retrying`), one object per kind and run, and an index written last: an object
without its index does not exist (the next run removes it). Layout in the storage::

    _archives/<set>/<kind>/<id>.tar.zst.age    tar + zstd, age-encrypted to the recipients
    _archives/<set>/<kind>/<id>.json           the index: members, sizes, checksums

(`_` cannot start a backup set's name, so these never mix with a set's backups.)
Decrypted by hand: `age -d -i key.txt X.tar.zst.age | zstd -d | tar -x`.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pyrage
import zstandard
from pydantic import BaseModel, ConfigDict, ValidationError

from oversight.backup import staging as stage
from oversight.backup.errors import BackupError, NoSpace
from oversight.backup.making import encrypt_pipeline, put_verified, upload_retrying
from oversight.backup.manifest import ID_PATTERN, id_time, new_id
from oversight.config.backup import BackupSettings
from oversight.observability.logging import get_logger
from oversight.storage import Storage, StorageError, StorageFull

log = get_logger("oversight.backup.archives")
PREFIX = "_archives"
OBJECT_SUFFIX = ".tar.zst.age"
INDEX_SUFFIX = ".json"
MAX_INDEX_BYTES = 4 * 1024 * 1024


class Member(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    size: int
    modified: datetime


class ArchiveIndex(BaseModel):
    """What one shipped archive holds; written after the object is verified."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: str
    created_at: datetime
    object: str
    ciphertext_size: int
    ciphertext_sha256: str
    plaintext_size: int
    plaintext_sha256: str
    members: list[Member]


def folder(set_name: str, kind: str) -> str:
    return f"{PREFIX}/{set_name}/{kind}/"


@dataclass(frozen=True, slots=True)
class Shelf:
    """What the storage holds for one kind: complete archives (by index) and leftovers
    (objects whose index is missing: a run that stopped before writing it)."""

    indexes: list[ArchiveIndex]
    leftovers: list[str]

    @property
    def shipped_names(self) -> set[str]:
        return {member.name for index in self.indexes for member in index.members}


def read_shelf(storage: Storage, set_name: str, kind: str) -> Shelf:
    """The archives of `kind` in the storage. Names that do not follow the layout are left
    alone; an unreadable index is logged and its object treated as a leftover."""
    prefix = folder(set_name, kind)
    objects: dict[str, int] = {}
    indexes: list[str] = []
    for info in storage.list_objects(prefix):
        base = info.name[len(prefix) :]
        if base.endswith(OBJECT_SUFFIX) and ID_PATTERN.match(base[: -len(OBJECT_SUFFIX)]):
            objects[base[: -len(OBJECT_SUFFIX)]] = info.size
        elif base.endswith(INDEX_SUFFIX) and ID_PATTERN.match(base[: -len(INDEX_SUFFIX)]):
            indexes.append(base[: -len(INDEX_SUFFIX)])
    complete: list[ArchiveIndex] = []
    for archive_id in sorted(indexes):
        try:
            with storage.get(f"{prefix}{archive_id}{INDEX_SUFFIX}") as stream:
                index = ArchiveIndex.model_validate_json(stream.read(MAX_INDEX_BYTES))
        except (StorageError, ValidationError) as error:
            log.warning("archive_index_unreadable", archive=archive_id, reason=str(error)[:200])
            continue
        if index.id == archive_id and objects.get(archive_id) == index.ciphertext_size:
            complete.append(index)
    known = {index.id for index in complete}
    leftovers = [f"{prefix}{aid}{OBJECT_SUFFIX}" for aid in sorted(objects) if aid not in known]
    return Shelf(complete, leftovers)


def _pack(sink: IO[bytes], sources: Sequence[Path], level: int) -> list[Member]:
    members: list[Member] = []
    compressor = zstandard.ZstdCompressor(level=level)
    with (
        compressor.stream_writer(sink, closefd=False) as compressed,
        tarfile.open(fileobj=compressed, mode="w|", format=tarfile.PAX_FORMAT) as tar,
    ):
        for path in sources:
            info = tar.gettarinfo(str(path), arcname=path.name)
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with open(path, "rb") as handle:
                tar.addfile(info, handle)
            members.append(
                Member(
                    name=path.name,
                    size=info.size,
                    modified=datetime.fromtimestamp(info.mtime, UTC),
                )
            )
    return members


def ship(
    *,
    kind: str,
    sources: Sequence[Path],
    settings: BackupSettings,
    storage: Storage,
    set_name: str,
    recipients: list[pyrage.x25519.Recipient],
    staging: Path,
    now: datetime,
) -> ArchiveIndex:
    """Pack `sources` into one encrypted object, upload it verified, then its index.
    `BackupError` (`NoSpace` for a full disk or storage) on failure; nothing under a final
    name is left without its index, and the staged copy is removed either way."""
    archive_id = new_id(now)
    final = staging / f"{kind}-{archive_id}{OBJECT_SUFFIX}"
    partial = final.with_name(final.name + stage.PARTIAL)
    try:
        members, plain, cipher = encrypt_pipeline(
            partial, lambda sink: _pack(sink, sources, settings.compression_level), recipients
        )
        stage.publish(partial, final)
    except OSError as error:
        partial.unlink(missing_ok=True)
        stage.raise_os_error(error, f"cannot stage the {kind} archive")
        raise
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    prefix = folder(set_name, kind)
    index = ArchiveIndex(
        id=archive_id,
        kind=kind,
        created_at=now,
        object=f"{prefix}{archive_id}{OBJECT_SUFFIX}",
        ciphertext_size=cipher.size,
        ciphertext_sha256=cipher.sha256,
        plaintext_size=plain.size,
        plaintext_sha256=plain.sha256,
        members=members,
    )
    retrying = upload_retrying(settings, index.object)
    try:
        for attempt in retrying:
            with attempt:
                put_verified(storage, index.object, final, size=cipher.size, sha256=cipher.sha256)
        body = index.model_dump_json(indent=2).encode()
        for attempt in retrying:
            with attempt:
                storage.put(f"{prefix}{archive_id}{INDEX_SUFFIX}", io.BytesIO(body))
    except StorageFull as error:
        raise NoSpace(str(error)) from None
    except StorageError as error:
        raise BackupError(f"upload of the {kind} archive failed: {error}") from None
    finally:
        final.unlink(missing_ok=True)
    log.info("archive_shipped", kind=kind, archive=archive_id, files=len(members), size=cipher.size)
    return index


def expired(shelf: Shelf, *, now: datetime, keep_days: int) -> list[ArchiveIndex]:
    """Archives older than `keep_days` (by the time in their id); never one from the future."""
    return [
        index
        for index in shelf.indexes
        if (now - id_time(index.id)).total_seconds() > keep_days * 86_400
    ]


def remove(storage: Storage, index: ArchiveIndex, set_name: str) -> None:
    """Delete an archive: its index first (from then on it does not exist), then the object."""
    storage.delete(f"{folder(set_name, index.kind)}{index.id}{INDEX_SUFFIX}")
    storage.delete(index.object)


def describe(index: ArchiveIndex | None) -> dict[str, Any]:
    """The audit event's summary of one shipped archive (names of files, no content)."""
    if index is None:
        return {"shipped": 0}
    return {
        "id": index.id,
        "shipped": len(index.members),
        "bytes": index.ciphertext_size,
        "members": [member.name for member in index.members][:200],
    }
