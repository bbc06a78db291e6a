"""Storage backends behind one interface (`base.Storage`), chosen by the target URL's scheme.

Each backend lives in its own module and imports its client library only when it is used.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from oversight.config.storage import StorageTarget
from oversight.storage.base import (
    ObjectInfo,
    ObjectNotFound,
    Storage,
    StorageAuthError,
    StorageError,
    StorageFull,
    StorageUnavailable,
)

__all__ = [
    "ObjectInfo",
    "ObjectNotFound",
    "Storage",
    "StorageAuthError",
    "StorageError",
    "StorageFull",
    "StorageUnavailable",
    "open_storage",
]


def open_storage(target: StorageTarget) -> Storage:
    """The backend serving `target`; a scheme nobody serves is a `StorageError`."""
    scheme = urlsplit(target.url).scheme
    if scheme in ("", "file"):
        from oversight.storage.local import LocalStorage

        return LocalStorage.from_target(target)
    raise StorageError(f"storage {target.url!r}: no backend for the scheme {scheme!r}")
