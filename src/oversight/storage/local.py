"""A folder on this machine (the default target): atomic writes by partial file and rename.

A `put` writes `<name>.<random>.partial` in the object's directory, fsyncs it, renames it to
the final name and fsyncs the directory (BACKUPS.md rule 12). Symbolic links under the root are
never followed: a link is neither listed nor read, so nothing outside the root is reachable.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat as stat_module
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from oversight.config.storage import StorageTarget
from oversight.storage.base import (
    CHUNK_SIZE,
    PARTIAL_GRACE,
    PARTIAL_SUFFIX,
    ObjectInfo,
    ObjectNotFound,
    Source,
    Storage,
    StorageAuthError,
    StorageError,
    StorageFull,
    check_name,
    partial_name,
)

_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


class LocalStorage(Storage):
    """Objects are files under `root` (created when missing); `*.partial` are unfinished."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.display = str(root)

    @classmethod
    def from_target(cls, target: StorageTarget) -> LocalStorage:
        parts = urlsplit(target.url)
        path = unquote(parts.path) if parts.scheme == "file" else target.url
        return cls(Path(path))

    def _path(self, name: str) -> Path:
        """The file of `name`; a name reaching out of the root through a linked folder is
        refused like any other invalid name."""
        path = self.root / check_name(name)
        if not path.parent.resolve().is_relative_to(self.root.resolve()):
            raise StorageError(f"invalid object name {name!r}: outside the folder")
        return path

    def _fail(self, action: str, name: str, exc: OSError) -> StorageError:
        if exc.errno in _FULL:
            return StorageFull(f"storage {self.display}: no space left {action} {name}")
        reason = exc.strerror or type(exc).__name__
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            return StorageAuthError(f"storage {self.display}: {action} {name} failed: {reason}")
        return StorageError(f"storage {self.display}: {action} {name} failed: {reason}")

    def put(self, name: str, stream: BinaryIO, *, size: int | None = None) -> ObjectInfo:
        final = self._path(name)
        partial = final.with_name(partial_name(final.name))
        digest = hashlib.sha256()
        written = 0
        source = Source(stream)
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "xb") as out:
                while chunk := source.read(CHUNK_SIZE):
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
            _discard(partial)
            if source.failed:
                raise
            raise self._fail("writing", name, exc) from exc
        except BaseException:
            _discard(partial)
            raise
        return ObjectInfo(
            name=name, size=written, modified=_mtime(final), sha256=digest.hexdigest()
        )

    @contextlib.contextmanager
    def get(self, name: str) -> Iterator[BinaryIO]:
        path = self._path(name)
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"storage {self.display}: no object {name}") from exc
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # a symbolic link: not an object of this folder
                raise ObjectNotFound(f"storage {self.display}: no object {name}") from exc
            raise self._fail("reading", name, exc) from exc
        handle = os.fdopen(fd, "rb")
        with handle:
            if not stat_module.S_ISREG(os.fstat(fd).st_mode):
                raise ObjectNotFound(f"storage {self.display}: no object {name}")
            yield handle

    def _walk(self) -> Iterator[tuple[str, os.stat_result]]:
        """(relative name, stat) of every regular file under the root, links not followed."""
        if not self.root.is_dir():
            return
        for folder, dirs, files in os.walk(self.root, followlinks=False):
            dirs.sort()
            for file_name in files:
                path = os.path.join(folder, file_name)
                info = os.lstat(path)
                if stat_module.S_ISREG(info.st_mode):
                    yield Path(path).relative_to(self.root).as_posix(), info

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        found = [
            ObjectInfo(name=name, size=info.st_size, modified=_time(info.st_mtime))
            for name, info in self._walk()
            if name.startswith(prefix) and not name.endswith(PARTIAL_SUFFIX)
        ]
        yield from sorted(found, key=lambda info: info.name)

    def stat(self, name: str) -> ObjectInfo:
        path = self._path(name)
        try:
            info = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"storage {self.display}: no object {name}") from exc
        if not stat_module.S_ISREG(info.st_mode):
            raise ObjectNotFound(f"storage {self.display}: no object {name}")
        return ObjectInfo(name=name, size=info.st_size, modified=_time(info.st_mtime))

    def delete(self, name: str) -> None:
        path = self._path(name)
        try:
            if stat_module.S_ISREG(os.lstat(path).st_mode):
                path.unlink()
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise self._fail("deleting", name, exc) from exc

    def clean_partials(self, older_than: timedelta = PARTIAL_GRACE) -> int:
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for name, info in list(self._walk()):
            if name.endswith(PARTIAL_SUFFIX) and info.st_mtime <= cutoff:
                with contextlib.suppress(FileNotFoundError):
                    (self.root / name).unlink()
                    removed += 1
        return removed


def _discard(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _time(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, tz=UTC)


def _mtime(path: Path) -> datetime:
    return _time(path.stat().st_mtime)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
