"""A folder on this machine (the default target): atomic writes by partial file and rename."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from oversight.config.storage import StorageTarget
from oversight.storage.base import (
    CHUNK_SIZE,
    ObjectInfo,
    ObjectNotFound,
    Storage,
    StorageError,
    StorageFull,
    check_name,
)

PARTIAL_SUFFIX = ".partial"


class LocalStorage(Storage):
    """Objects are files under `root`; `<name>.partial` files are unfinished writes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.display = str(root)

    @classmethod
    def from_target(cls, target: StorageTarget) -> LocalStorage:
        parts = urlsplit(target.url)
        path = unquote(parts.path) if parts.scheme == "file" else target.url
        return cls(Path(path))

    def _path(self, name: str) -> Path:
        return self.root / check_name(name)

    def put(self, name: str, stream: BinaryIO, *, size: int | None = None) -> ObjectInfo:
        final = self._path(name)
        partial = final.with_name(final.name + PARTIAL_SUFFIX)
        digest = hashlib.sha256()
        written = 0
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as out:
                while chunk := stream.read(CHUNK_SIZE):
                    out.write(chunk)
                    digest.update(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size is not None and written != size:
                raise StorageError(
                    f"storage {self.display}: {name} is {written} bytes, expected {size}"
                )
            os.replace(partial, final)
            _fsync_dir(final.parent)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(f"storage {self.display}: no space left writing {name}") from exc
            reason = exc.strerror or type(exc).__name__
            raise StorageError(f"storage {self.display}: cannot write {name}: {reason}") from exc
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return ObjectInfo(
            name=name, size=written, modified=_mtime(final), sha256=digest.hexdigest()
        )

    @contextlib.contextmanager
    def get(self, name: str) -> Iterator[BinaryIO]:
        path = self._path(name)
        try:
            handle = open(path, "rb")  # noqa: SIM115 - closed by the context manager
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"storage {self.display}: no object {name}") from exc
        with handle:
            yield handle

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        if not self.root.is_dir():
            return
        found: list[ObjectInfo] = []
        for path in self.root.rglob("*"):
            if not path.is_file() or path.name.endswith(PARTIAL_SUFFIX):
                continue
            name = path.relative_to(self.root).as_posix()
            if name.startswith(prefix):
                stat = path.stat()
                found.append(ObjectInfo(name=name, size=stat.st_size, modified=_mtime(path)))
        yield from sorted(found, key=lambda info: info.name)

    def stat(self, name: str) -> ObjectInfo:
        path = self._path(name)
        try:
            size = path.stat().st_size
        except FileNotFoundError as exc:
            raise ObjectNotFound(f"storage {self.display}: no object {name}") from exc
        return ObjectInfo(name=name, size=size, modified=_mtime(path))

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
