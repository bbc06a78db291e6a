"""`oversight backup run`: dump, archive, compress, encrypt into staging, upload, verify, and
write the manifest last. No database session: the caller records the audit event.

Step boundaries (each may be a crash; the next run cleans up and succeeds):
dump → encrypt (staging `<id>.age.partial`) → staged (`<id>.age` + staged manifest) →
upload object (storage's own partial + rename) → re-read and compare → upload manifest →
forget the staged copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import io
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import pyrage
import zstandard
from sqlalchemy import Engine
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from oversight import __version__
from oversight.backup import staging as stage
from oversight.backup.archive import CountingWriter, write_archive
from oversight.backup.crypto import encrypt_stream, parse_recipients
from oversight.backup.dump import database_dump
from oversight.backup.errors import BackupError, NoSpace
from oversight.backup.manifest import (
    MANIFEST_SUFFIX,
    OBJECT_SUFFIX,
    Manifest,
    catalogue,
    manifest_name,
    new_id,
    object_name,
    parse_manifest,
)
from oversight.config.backup import BackupSettings
from oversight.kit.clock import utcnow
from oversight.observability.logging import get_logger
from oversight.storage import Storage, StorageError, StorageFull, StorageUnavailable
from oversight.storage.base import CHUNK_SIZE, ChecksumMismatch

log = get_logger("oversight.backup")

# Tests only: kill this process with SIGKILL at the named step (see tests/backup/test_crash.py).
CRASH_ENV = "OVERSIGHT_BACKUP_TEST_CRASH_AT"


def crash_point(step: str) -> None:
    if os.environ.get(CRASH_ENV) == step:
        os.kill(os.getpid(), signal.SIGKILL)


@dataclass(frozen=True, slots=True)
class RunOutcome:
    manifest: Manifest
    duration_seconds: float
    cleaned: list[str]
    uploaded_pending: list[str]


def set_name_for(settings: BackupSettings, env: str, engine: Engine) -> str:
    """The backup set: configured, else `<environment>-<database name>`."""
    if settings.set_name:
        return settings.set_name
    database = Path(engine.url.database or "db").stem
    cleaned = "".join(ch if ch.isalnum() else "-" for ch in database.lower()).strip("-")
    return f"{env}-{cleaned or 'db'}"[:63]


def run_backup(
    *, settings: BackupSettings, engine: Engine, storage: Storage, set_name: str
) -> RunOutcome:
    """Make one backup of the database and files and upload it; raise `BackupError` on any
    failure (`NoSpace` when a disk is full), leaving nothing with a final name behind."""
    started = time.perf_counter()
    recipients = parse_recipients(settings.recipients)
    staging = settings.staging_dir
    with stage.locked(staging):
        cleaned = stage.clean_leftovers(staging)
        uploaded = [
            upload_staged(settings, storage, staging, bid) for bid in stage.pending(staging)
        ]
        cleaned += clean_remote_leftovers(storage, set_name, keep=set(uploaded))
        # Unfinished uploads (a run killed mid-upload) are removed now rather than after the
        # backends' usual grace: this run holds the staging lock, so none of them is ours in
        # flight; another server's upload into the same folder would fail and be retried.
        storage.clean_partials(older_than=timedelta(0))
        backup_id = new_id(utcnow())
        manifest = _encrypt_to_staging(settings, engine, staging, set_name, backup_id, recipients)
        crash_point("after_encrypt")
        upload_staged(settings, storage, staging, backup_id)
    return RunOutcome(manifest, time.perf_counter() - started, cleaned, uploaded)


def _encrypt_to_staging(
    settings: BackupSettings,
    engine: Engine,
    staging: Path,
    set_name: str,
    backup_id: str,
    recipients: list[pyrage.x25519.Recipient],
) -> Manifest:
    created_at = utcnow()
    final = staging / f"{backup_id}{OBJECT_SUFFIX}"
    partial = final.with_name(final.name + stage.PARTIAL)
    header = {"id": backup_id, "set": set_name, "created_at": created_at.isoformat()}
    try:
        with database_dump(engine, staging, settings.pg_bin_dir) as dump:
            header["engine"] = dump.facts.engine

            def produce(sink: IO[bytes]) -> Any:
                contents = write_archive(
                    sink,
                    header=header,
                    dump=dump,
                    files_dir=settings.files_dir,
                    extra_paths=settings.extra_paths,
                    level=settings.compression_level,
                )
                crash_point("after_dump")
                return contents

            contents, plain, cipher = encrypt_pipeline(partial, produce, recipients)
            facts, tool = dump.facts, dump.tool_version
        stage.publish(partial, final)
    except OSError as error:
        partial.unlink(missing_ok=True)
        stage.raise_os_error(error, "cannot write the backup to staging")
        raise
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    manifest = Manifest(
        id=backup_id,
        set=set_name,
        created_at=created_at,
        app_version=__version__,
        engine=facts.engine,
        engine_version=facts.engine_version,
        alembic_revision=facts.alembic_revision,
        tool_versions={
            "dump": tool,
            "zstd": zstandard.__version__,
            "age": f"pyrage {_version('pyrage')}",
        },
        object=object_name(set_name, backup_id),
        ciphertext_size=cipher.size,
        ciphertext_sha256=cipher.sha256,
        plaintext_size=plain.size,
        plaintext_sha256=plain.sha256,
        database_members=_database_members(facts.engine),
        files=contents.files,
        file_bytes=contents.file_bytes,
        extra_paths=contents.extra_paths,
        row_counts=facts.row_counts,
        audit_last_id=facts.audit_last_id,
        audit_head_hash=facts.audit_head_hash,
    )
    stage.write_file(staging / f"{backup_id}{MANIFEST_SUFFIX}", manifest.to_json())
    return manifest


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _database_members(engine: str) -> list[str]:
    from oversight.backup.dump import PG_PART_PREFIX, SQLITE_MEMBER

    return [PG_PART_PREFIX + "*"] if engine == "postgresql" else [SQLITE_MEMBER]


class _CipherSink(CountingWriter):
    def write(self, data: Any) -> int:
        written = super().write(data)
        crash_point("mid_encrypt")
        return written


def encrypt_pipeline(
    path: Path,
    produce: Callable[[IO[bytes]], Any],
    recipients: list[pyrage.x25519.Recipient],
) -> tuple[Any, CountingWriter, CountingWriter]:
    """Run `produce(plain_sink)` on a thread, encrypting what it writes into `path` (fsynced)
    as it comes: the plaintext passes through a pipe, never whole in memory or on disk.
    Returns what `produce` returned and the counted plaintext and ciphertext."""
    read_fd, write_fd = os.pipe()
    reader = os.fdopen(read_fd, "rb", buffering=CHUNK_SIZE)
    writer = os.fdopen(write_fd, "wb", buffering=CHUNK_SIZE)
    plain = CountingWriter(writer)
    outcome: dict[str, Any] = {}

    def run_producer() -> None:
        try:
            outcome["value"] = produce(plain)  # type: ignore[arg-type]
        except BaseException as error:
            outcome["error"] = error
        finally:
            with contextlib.suppress(OSError):
                writer.close()

    producer = threading.Thread(target=run_producer, name="backup-archive", daemon=True)
    producer.start()
    try:
        with open(path, "wb") as out:
            cipher = _CipherSink(out)
            encrypt_stream(reader, cipher, recipients)  # type: ignore[arg-type]
            out.flush()
            os.fsync(out.fileno())
    finally:
        reader.close()  # a producer still writing gets EPIPE and stops
        producer.join()
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, BrokenPipeError):
            raise BackupError("encryption stopped before the archive was complete")
        raise error
    return outcome["value"], plain, cipher


def upload_staged(settings: BackupSettings, storage: Storage, staging: Path, backup_id: str) -> str:
    """Upload a staged backup — object, read back and compared, then the manifest — and
    forget the staged copy. Transient storage errors are retried with exponential back-off;
    a full or refusing storage is not (`NoSpace`, `BackupError`). Returns the id."""
    manifest = parse_manifest(
        (staging / f"{backup_id}{MANIFEST_SUFFIX}").read_bytes(), expected_id=backup_id
    )
    archive = staging / f"{backup_id}{OBJECT_SUFFIX}"
    retrying = upload_retrying(settings, backup_id)
    try:
        for attempt in retrying:
            with attempt:
                put_verified(
                    storage,
                    manifest.object,
                    archive,
                    size=manifest.ciphertext_size,
                    sha256=manifest.ciphertext_sha256,
                )
        crash_point("before_manifest")
        for attempt in retrying:
            with attempt:
                storage.put(manifest_name(manifest.set, backup_id), io.BytesIO(manifest.to_json()))
    except StorageFull as error:
        raise NoSpace(str(error)) from None
    except StorageError as error:
        raise BackupError(f"upload of {backup_id} failed: {error}") from None
    stage.discard(staging, backup_id)
    log.info(
        "backup_uploaded", backup=backup_id, target=storage.display, size=manifest.ciphertext_size
    )
    return backup_id


class _UploadStream(io.RawIOBase):
    def __init__(self, source: IO[bytes]) -> None:
        self.source = source
        self.sent = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.source.read(len(buffer))
        buffer[: len(data)] = data
        self.sent += len(data)
        if self.sent and os.environ.get(CRASH_ENV) == "mid_upload":
            crash_point("mid_upload")
        return len(data)


def upload_retrying(settings: BackupSettings, what: str) -> Retrying:
    """Retries for one upload: transient storage errors and checksum mismatches, with
    exponential back-off (`upload_attempts`, `upload_backoff_seconds`); the last error is
    re-raised. Full or refusing storage is not retried."""
    return Retrying(
        stop=stop_after_attempt(settings.upload_attempts),
        wait=wait_exponential(multiplier=settings.upload_backoff_seconds, max=300),
        retry=retry_if_exception_type((StorageUnavailable, ChecksumMismatch)),
        before_sleep=lambda state: log.warning(
            "backup_upload_retry",
            object=what,
            attempt=state.attempt_number,
            reason=str(state.outcome.exception()) if state.outcome else "",
        ),
        reraise=True,
    )


def put_verified(storage: Storage, name: str, path: Path, *, size: int, sha256: str) -> None:
    """Upload the staged file `path` as `name` (the backend's atomic put), read it back, and
    remove it again unless its size and SHA-256 are `size` and `sha256` (`ChecksumMismatch`,
    which `upload_retrying` retries)."""
    with open(path, "rb") as handle:
        info = storage.put(name, _UploadStream(handle), size=size)  # type: ignore[arg-type]
    remote = read_back(storage, name)
    if info.size != size or remote != sha256:
        storage.delete(name)
        raise ChecksumMismatch(f"storage {storage.display}: {name} reads back differently; removed")


def read_back(storage: Storage, name: str) -> str:
    """SHA-256 of the stored object, read back in chunks."""
    digest = hashlib.sha256()
    with storage.get(name) as stream:
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def clean_remote_leftovers(storage: Storage, set_name: str, *, keep: set[str]) -> list[str]:
    """Delete our objects that have no manifest (a crash before the manifest). Only names of
    this set that follow our naming are touched."""
    removed = []
    for entry in catalogue(storage, set_name):
        if entry.problem == "no manifest (incomplete backup)" and entry.id not in keep:
            name = object_name(set_name, entry.id)
            try:
                storage.delete(name)
            except StorageError as error:
                # An upload-only credential may not delete: the leftover is harmless (it
                # is not a backup without its manifest); prune's credential can remove it.
                log.warning("backup_leftover_kept", object=name, reason=str(error))
                continue
            removed.append(name)
    return removed
