"""The hot tier on local disk: content-addressed blobs, previews and upload spool files.

Layout under `settings.files.hot_dir`: `<sha[:2]>/<sha>` (blobs), `previews/<sha>.jpg`,
`incoming/` (uploads being received; removed whatever happens to the request).
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

CHUNK = 1024 * 1024


def object_name(sha256: str) -> str:
    """The blob's name, relative to the hot folder and in the cold target alike."""
    return f"{sha256[:2]}/{sha256}"


class HotStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def blob_path(self, sha256: str) -> Path:
        return self.root / object_name(sha256)

    def preview_path(self, sha256: str) -> Path:
        return self.root / "previews" / f"{sha256}.jpg"

    def spool_path(self) -> Path:
        """A fresh file name in the spool folder (created if needed)."""
        incoming = self.root / "incoming"
        incoming.mkdir(parents=True, exist_ok=True)
        return incoming / secrets.token_hex(16)

    def adopt(self, spooled: Path, sha256: str) -> Path:
        """Move a finished spool file to its content address; if that content is already
        stored, keep the stored copy and drop the spool file (same bytes, same name)."""
        final = self.blob_path(sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            spooled.unlink(missing_ok=True)
        else:
            os.replace(spooled, final)
        return final


def digest(path: Path) -> tuple[str, int]:
    """SHA-256 (hex) and size of a file, read in chunks."""
    hasher = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            hasher.update(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size
