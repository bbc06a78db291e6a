"""Storage backends behind one interface (`base.Storage`), chosen by the target URL's scheme.

Each backend lives in its own module and imports its client library only when it is used:
`local` (a folder, the default), `sftp` (paramiko), `s3` (boto3), `gdrive` (Drive v3 REST over
httpx, google-auth for the service account).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from oversight.config.storage import StorageTarget
from oversight.storage.base import (
    ChecksumMismatch,
    ObjectInfo,
    ObjectNotFound,
    Storage,
    StorageAuthError,
    StorageError,
    StorageFull,
    StorageUnavailable,
)

__all__ = [
    "ChecksumMismatch",
    "ObjectInfo",
    "ObjectNotFound",
    "Storage",
    "StorageAuthError",
    "StorageError",
    "StorageFull",
    "StorageUnavailable",
    "open_prune_storage",
    "open_storage",
]


def open_storage(target: StorageTarget) -> Storage:
    """The backend serving `target`; a scheme nobody serves is a `StorageError`."""
    scheme = urlsplit(target.url).scheme
    if scheme in ("", "file"):
        from oversight.storage.local import LocalStorage

        return LocalStorage.from_target(target)
    if scheme == "sftp":
        from oversight.storage.sftp import SftpStorage

        return SftpStorage(target)
    if scheme == "s3":
        from oversight.storage.s3 import S3Storage

        return S3Storage(target)
    if scheme == "gdrive":
        from oversight.storage.gdrive import DriveStorage

        return DriveStorage(target)
    raise StorageError(
        f"storage: no backend for the scheme {scheme!r} (a path, file://, sftp://, s3:// or "
        "gdrive://)"
    )


def open_prune_storage(target: StorageTarget, prune_target: StorageTarget | None) -> Storage:
    """The storage to delete from: `prune_target` (a credential allowed to delete) when set,
    else `target` itself.

    The upload credential should only create and read, so a compromised server cannot erase
    the history; the prune credential lives elsewhere (another host, or set only for the
    prune command). Both must name the same folder: a `prune_target` whose URL differs from
    `target`'s is refused, so a typo can never point deletion at another folder.
    """
    if prune_target is None:
        return open_storage(target)
    if prune_target.url.rstrip("/") != target.url.rstrip("/"):
        raise StorageError(
            f"storage {prune_target.url!r}: the prune target must name the same folder as "
            f"the upload target {target.url!r}"
        )
    return open_storage(prune_target)
