"""The local staging folder: encrypted archives written there first (partial name, fsync,
rename, fsync of the folder), kept until they are uploaded, cleaned by the next run.

Staged names: `<id>.age.partial` (being written: a leftover if found), `<id>.age` and
`<id>.manifest.json` (complete, waiting for upload: the pair is uploaded by the next run;
an archive without its staged manifest is a leftover).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from oversight.backup.errors import BackupError, NoSpace
from oversight.backup.manifest import MANIFEST_SUFFIX, OBJECT_SUFFIX

PARTIAL = ".partial"
LOCK_NAME = ".backup.lock"


@contextlib.contextmanager
def locked(staging: Path) -> Iterator[None]:
    """Hold the staging folder: one backup run at a time on this machine."""
    make_dir(staging)
    with open(staging / LOCK_NAME, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"another backup run holds {staging}") from None
        yield


def make_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise_os_error(error, f"cannot create {path}")


def raise_os_error(error: OSError, what: str) -> None:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        raise NoSpace(f"{what}: no space left on the staging disk") from None
    raise BackupError(f"{what}: {error.strerror or error}") from None


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(partial: Path, final: Path) -> None:
    """Rename a fully written and fsynced `partial` to `final`, durably."""
    os.replace(partial, final)
    fsync_dir(final.parent)


def write_file(final: Path, data: bytes) -> None:
    partial = final.with_name(final.name + PARTIAL)
    try:
        with open(partial, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        publish(partial, final)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise_os_error(error, f"cannot write {final.name}")


def pending(staging: Path) -> list[str]:
    """Ids of complete staged backups (archive and manifest) not yet uploaded, oldest first."""
    if not staging.is_dir():
        return []
    ids = []
    for path in staging.glob(f"*{MANIFEST_SUFFIX}"):
        backup_id = path.name[: -len(MANIFEST_SUFFIX)]
        if (staging / f"{backup_id}{OBJECT_SUFFIX}").is_file():
            ids.append(backup_id)
    return sorted(ids)


def clean_leftovers(staging: Path) -> list[str]:
    """Remove partial files and archives without their staged manifest; names removed."""
    removed: list[str] = []
    if not staging.is_dir():
        return removed
    keep = set(pending(staging))
    for path in sorted(staging.iterdir()):
        if path.name == LOCK_NAME or not path.is_file():
            continue
        stem = path.name.removesuffix(PARTIAL)
        backup_id = stem.removesuffix(OBJECT_SUFFIX).removesuffix(MANIFEST_SUFFIX)
        if path.name.endswith(PARTIAL) or backup_id not in keep:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def discard(staging: Path, backup_id: str) -> None:
    """Forget a staged backup once it is uploaded (manifest first: a lone archive is a leftover)."""
    (staging / f"{backup_id}{MANIFEST_SUFFIX}").unlink(missing_ok=True)
    (staging / f"{backup_id}{OBJECT_SUFFIX}").unlink(missing_ok=True)
