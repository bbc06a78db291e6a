"""The one interface every storage backend implements (local, SFTP, Google Drive, S3).

Backups and the cold tier of attachments talk to a `Storage` only; which backend serves a
target is chosen by the target URL's scheme (`open_storage` in `oversight.storage`). Every
backend passes the same contract suite (`tests/storage/test_contract.py`).

Contract, for every backend:
- `put` is atomic: the object appears under its final name only once it is complete and its
  remote checksum (or a re-read) matches what was sent; a failed or interrupted `put` leaves
  nothing under the final name. It returns what was stored, with the SHA-256 of the bytes.
  An exception raised by the caller's stream propagates unchanged (after the backend has
  removed or aborted what it started); `size`, when given, must match the bytes read. Putting
  an existing name replaces the object (a reader sees the old or the new one, never a mix).
- `get` streams an object back; it never holds the whole object in memory.
- `list_objects` lists complete objects only, under an optional prefix, in name order.
- Names are relative, `/`-separated, without `..`, empty parts or control characters
  (`check_name`); a backend never touches anything outside its root folder.
- Every failure is a `StorageError` whose message is one line naming the target (never a
  secret) and the reason. `StorageFull` and `StorageAuthError` are permanent (retrying cannot
  help); `StorageUnavailable` is transient (network, timeouts, 5xx) and may be retried.
"""

from __future__ import annotations

import re
import secrets
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

CHUNK_SIZE = 1024 * 1024
#: Unfinished writes end with this suffix; object names may not (`check_name`).
PARTIAL_SUFFIX = ".partial"
#: How old an unfinished write must be before `clean_partials` removes it by default.
PARTIAL_GRACE = timedelta(hours=6)
_BAD_NAME = re.compile(r"[\x00-\x1f\x7f\\]")


class StorageError(Exception):
    """A storage operation failed; the message is one line naming the target and the reason."""


class ObjectNotFound(StorageError):
    """No complete object exists under that name."""


class StorageFull(StorageError):
    """The target has no space left (ENOSPC, quota exceeded): permanent, do not retry."""


class StorageAuthError(StorageError):
    """The credential was refused or lacks the permission: permanent, do not retry."""


class StorageUnavailable(StorageError):
    """The target could not be reached or answered with a transient error: may be retried."""


class ChecksumMismatch(StorageError):
    """What the remote holds after an upload differs from what was sent (it was removed)."""


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """One complete stored object. `sha256` is known when the backend can tell it cheaply
    (after a `put`, or when the backend stores it); `md5` likewise (Drive, S3 single part)."""

    name: str
    size: int
    modified: datetime
    sha256: str | None = None
    md5: str | None = None


def check_name(name: str) -> str:
    """Return `name` if it is a safe relative object name, else raise `StorageError`.

    Safe: not empty, relative, `/`-separated parts none of which is empty, `.` or `..`, no
    control character or backslash, at most 1,024 bytes, and not ending with `.partial`
    (reserved for unfinished writes, which listings hide).
    """
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
        or _BAD_NAME.search(name)
        or name.endswith(PARTIAL_SUFFIX)
        or len(name.encode("utf-8", "surrogatepass")) > 1024
    ):
        raise StorageError(f"invalid object name {name!r}")
    return name


def partial_name(name: str) -> str:
    """A fresh name for an unfinished write of `name`: `<name>.<random>.partial`.

    Random so that two writers of the same name never share a partial object.
    """
    return f"{name}.{secrets.token_hex(6)}{PARTIAL_SUFFIX}"


def one_line(text: str, limit: int = 200) -> str:
    """`text` as one line of at most `limit` characters (for a server's error message)."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class Source:
    """Wraps the caller's stream in a `put` so a backend can tell the caller's failure (the
    stream raised: re-raised unchanged) from its own (mapped to a `StorageError`)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self.failed = False

    def read(self, size: int = -1) -> bytes:
        try:
            return self._stream.read(size)
        except BaseException:
            self.failed = True
            raise


def read_full(stream: BinaryIO | Source, size: int) -> bytes:
    """Read `size` bytes from `stream`, fewer only at its end (streams may return short reads)."""
    chunks: list[bytes] = []
    missing = size
    while missing > 0:
        chunk = stream.read(missing)
        if not chunk:
            break
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


class Storage(ABC):
    """A folder of objects on some backend. Instances are cheap; `close` releases connections."""

    #: A description safe to print and log: scheme, host and folder, never a credential.
    display: str

    @abstractmethod
    def put(self, name: str, stream: BinaryIO, *, size: int | None = None) -> ObjectInfo:
        """Store the bytes read from `stream` under `name`, atomically and verified."""

    @abstractmethod
    def get(self, name: str) -> AbstractContextManager[BinaryIO]:
        """A readable stream of the object; raises `ObjectNotFound` if there is none."""

    @abstractmethod
    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Complete objects whose name starts with `prefix`, in name order."""

    @abstractmethod
    def stat(self, name: str) -> ObjectInfo:
        """The object's size and time; raises `ObjectNotFound` if there is none."""

    @abstractmethod
    def delete(self, name: str) -> None:
        """Remove the object; deleting a missing object is not an error.

        The only call that needs a credential allowed to delete (see `open_prune_storage`);
        `put`, `get`, `list_objects` and `stat` never delete an object.
        """

    def clean_partials(self, older_than: timedelta = PARTIAL_GRACE) -> int:
        """Remove unfinished writes (partial files, pending multipart uploads) older than
        `older_than`, left by interrupted `put`s; returns how many were removed.

        Younger ones are left alone: they may belong to a `put` still running. A credential
        that may not remove them raises `StorageAuthError`. Every backend of this package
        overrides it; the default (for a backend that leaves nothing behind) removes nothing.
        """
        return 0

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections held by the backend."""

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
