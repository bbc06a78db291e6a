"""The hot → cold mover: copy, verify by reading back, only then free the local copy.

A blob moves once it is `files.hot_days` old. The copy goes through the cold target's
`Storage.put` (atomic and checked by the backend); then the object is read back whole and its
SHA-256 compared with the blob's name. Only after both does the row say `cold` and the local
file go. Any failure leaves the row `hot` and the local file in place, counts a failure and
schedules the next attempt after an exponential backoff (base x 2^(failures-1), capped at a
day), so a dropped connection costs a retry, never the only copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

from oversight.config import Settings
from oversight.files import metrics, repository
from oversight.files.models import Blob, Tier
from oversight.files.store import CHUNK, HotStore, object_name
from oversight.kit.clock import utcnow
from oversight.observability.logging import get_logger
from oversight.storage import Storage, StorageError, open_storage

log = get_logger("oversight.files")
MAX_BACKOFF = timedelta(days=1)


class MoveFailed(Exception):
    """One blob could not be moved (the message says why; the local copy is untouched)."""


@dataclass(frozen=True, slots=True)
class MoverRun:
    moved: int
    failed: int


def backoff(settings: Settings, failures: int) -> timedelta:
    seconds = settings.files.mover_backoff_seconds * 2 ** max(failures - 1, 0)
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


def _read_back_sha256(storage: Storage, name: str) -> str:
    hasher = hashlib.sha256()
    with storage.get(name) as stream:
        while chunk := stream.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


def move_blob(storage: Storage, store: HotStore, blob: Blob) -> None:
    """Copy one blob to `storage` and verify it; MoveFailed (local copy kept) otherwise."""
    local = store.blob_path(blob.sha256)
    name = object_name(blob.sha256)
    try:
        with local.open("rb") as stream:
            storage.put(name, stream, size=blob.size)
        found = _read_back_sha256(storage, name)
    except (StorageError, OSError) as error:
        raise MoveFailed(
            str(error).splitlines()[0] if str(error) else type(error).__name__
        ) from None
    if found != blob.sha256:
        raise MoveFailed(f"read-back checksum {found[:12]}… differs from {blob.sha256[:12]}…")


def _free(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def run_mover(session: Session, settings: Settings, *, now: datetime | None = None) -> MoverRun:
    """Move the blobs due (at most `files.mover_batch`); each one's outcome is flushed
    before the next, and the local file is freed only after the row says `cold`."""
    target = settings.files.cold
    if target is None:
        return MoverRun(0, 0)
    now = now or utcnow()
    due = repository.due_for_cold(
        session,
        created_before=now - timedelta(days=settings.files.hot_days),
        now=now,
        limit=settings.files.mover_batch,
    )
    if not due:
        return MoverRun(0, 0)
    store = HotStore(settings.files.hot_dir)
    moved = failed = 0
    freed: list[Path] = []
    # The local copies go only once the rows saying `cold` are committed (by the job runner):
    # a rolled-back run leaves every file where its row says it is.
    event.listen(session, "after_commit", lambda _: _free(freed), once=True)
    with open_storage(target) as storage:
        for blob in due:
            try:
                move_blob(storage, store, blob)
            except MoveFailed as error:
                failed += 1
                blob.move_failures += 1
                blob.next_move_at = now + backoff(settings, blob.move_failures)
                blob.move_error = str(error)[:500]
                session.flush()
                metrics.MOVER_FAILED.inc()
                log.warning("file move failed", action="file_move", entity="file_blob",
                            entity_id=blob.id, status="failure", reason=blob.move_error,
                            failures=blob.move_failures)  # fmt: skip
                continue
            blob.tier = Tier.cold
            blob.moved_at = now
            blob.move_error = None
            blob.next_move_at = None
            session.flush()
            freed.append(store.blob_path(blob.sha256))
            moved += 1
            metrics.MOVER_MOVED.inc()
            metrics.MOVER_MOVED_BYTES.inc(blob.size)
    return MoverRun(moved, failed)
