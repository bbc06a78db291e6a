"""Reading a backup back: download and compare, decrypt, unpack, check the structure.

Results use pgBackRest's words (`Outcome`). Nothing here changes a database or a files
directory: restore (`restore.py`) runs only after this has passed.
"""

from __future__ import annotations

import contextlib
import enum
import fcntl
import hashlib
import os
import sqlite3
import subprocess
import tarfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pyrage

from oversight.backup.archive import HEADER, CountingReader, read_archive, read_header
from oversight.backup.crypto import DecryptionFailed, decrypt_stream
from oversight.backup.dump import PG_PART_PREFIX, SQLITE_MEMBER, pg_tool
from oversight.backup.errors import BackupError
from oversight.backup.manifest import Manifest
from oversight.storage import ObjectNotFound, Storage, StorageError
from oversight.storage.base import CHUNK_SIZE

Visitor = Callable[[tarfile.TarInfo, IO[bytes] | None], None]


class Outcome(enum.StrEnum):
    ok = "ok"
    file_missing = "file_missing"
    checksum_mismatch = "checksum_mismatch"
    size_invalid = "size_invalid"
    other_error = "other_error"


class VerifyFailed(BackupError):
    def __init__(self, outcome: Outcome, message: str) -> None:
        super().__init__(f"{outcome.value}: {message}")
        self.outcome = outcome


def download(storage: Storage, manifest: Manifest, into: Path) -> Path:
    """Copy the object to `into/<id>.age`, comparing its size and SHA-256 with the manifest."""
    path = into / f"{manifest.id}.age"
    digest, size = hashlib.sha256(), 0
    try:
        with storage.get(manifest.object) as stream, open(path, "wb") as out:
            while chunk := stream.read(CHUNK_SIZE):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
    except ObjectNotFound:
        raise VerifyFailed(Outcome.file_missing, f"{manifest.object} is missing") from None
    except StorageError as error:
        raise VerifyFailed(Outcome.other_error, str(error)) from None
    if size != manifest.ciphertext_size:
        raise VerifyFailed(
            Outcome.size_invalid,
            f"{manifest.object} is {size} bytes, the manifest says {manifest.ciphertext_size}",
        )
    if digest.hexdigest() != manifest.ciphertext_sha256:
        raise VerifyFailed(
            Outcome.checksum_mismatch, f"{manifest.object}: SHA-256 differs from the manifest's"
        )
    return path


def walk(
    archive: Path,
    identities: Sequence[pyrage.x25519.Identity],
    manifest: Manifest,
    visit: Visitor,
) -> dict[str, Any]:
    """Decrypt and unpack `archive` as a stream, calling `visit` on every member after the
    header; check the header names the manifest's backup and the plaintext matches the
    manifest. Returns the header."""
    read_fd, write_fd = os.pipe()
    with contextlib.suppress(OSError, AttributeError):  # fewer wake-ups between the threads
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, CHUNK_SIZE)
    reader = os.fdopen(read_fd, "rb", buffering=CHUNK_SIZE)
    writer = os.fdopen(write_fd, "wb", buffering=CHUNK_SIZE)
    failures: list[BaseException] = []

    def decrypt() -> None:
        try:
            with open(archive, "rb") as source:
                decrypt_stream(source, writer, identities)
        except BaseException as error:
            failures.append(error)
        finally:
            with contextlib.suppress(OSError):
                writer.close()

    thread = threading.Thread(target=decrypt, name="backup-decrypt", daemon=True)
    thread.start()
    header: dict[str, Any] | None = None
    plain = CountingReader(reader)
    try:
        for info, stream in read_archive(plain):  # type: ignore[arg-type]
            if header is None:
                if info.name != HEADER or stream is None:
                    raise VerifyFailed(
                        Outcome.other_error, "the archive does not start with backup.json"
                    )
                header = read_header(stream.read())
                _check_header(header, manifest)
                continue
            visit(info, stream)
        while plain.read(CHUNK_SIZE):
            pass
    except BaseException as error:
        reader.close()
        thread.join()
        if failures and isinstance(failures[0], DecryptionFailed):
            raise VerifyFailed(Outcome.other_error, str(failures[0])) from None
        if isinstance(error, VerifyFailed):
            raise
        if isinstance(error, BackupError):
            raise VerifyFailed(Outcome.other_error, str(error)) from None
        raise
    reader.close()
    thread.join()
    if failures:
        raise VerifyFailed(Outcome.other_error, str(failures[0]))
    if header is None:
        raise VerifyFailed(Outcome.other_error, "the archive is empty")
    if plain.size != manifest.plaintext_size or plain.sha256 != manifest.plaintext_sha256:
        raise VerifyFailed(
            Outcome.checksum_mismatch, "the decrypted archive differs from the manifest's"
        )
    return header


def _check_header(header: dict[str, Any], manifest: Manifest) -> None:
    if header.get("id") != manifest.id or header.get("set") != manifest.set:
        raise VerifyFailed(
            Outcome.other_error,
            f"the object holds backup {header.get('id')}, not {manifest.id} (swapped?)",
        )
    if header.get("engine") != manifest.engine:
        raise VerifyFailed(Outcome.other_error, "the archive's engine differs from the manifest's")


@dataclass
class Structure:
    """What a verify pass found, and where it left what restore needs."""

    sqlite_copy: Path | None = None
    pg_dump: Path | None = None
    dump_parts: int = 0
    files: int = 0
    members: list[str] = field(default_factory=list)


class StructureVisitor:
    """Checks every member; SQLite: writes the database to `scratch` for its integrity check;
    PostgreSQL: streams the dump through `pg_restore --list`, or into `pg_sink` (restore in
    one pass, `streaming`), or (`keep_dump`, for a parallel restore)
    writes it to `scratch/database.dump` and lists that file, so restore runs `pg_restore` on
    the checked file instead of decrypting a second time; files: extracted under `files_into`
    when given (restore), else only read."""

    def __init__(
        self,
        manifest: Manifest,
        scratch: Path,
        bin_dir: Path | None,
        files_into: Path | None = None,
        *,
        keep_dump: bool = False,
        pg_sink: Any = None,
    ) -> None:
        self.manifest = manifest
        self._pg_sink = pg_sink
        self.scratch = scratch
        self.files_into = files_into
        self.found = Structure()
        self._pg: subprocess.Popen[bytes] | None = None
        self._dump: IO[bytes] | None = None
        self._keep_dump = keep_dump
        self._bin_dir = bin_dir

    def __call__(self, info: tarfile.TarInfo, stream: IO[bytes] | None) -> None:
        name = info.name
        if name.startswith(PG_PART_PREFIX) and stream is not None:
            expected = f"{PG_PART_PREFIX}{self.found.dump_parts:06d}"
            if name != expected:
                raise VerifyFailed(Outcome.other_error, f"dump part {name} out of order")
            if self._pg_sink is not None:
                copy_stream(stream, self._pg_sink)
            elif self._keep_dump:
                self._dump_write(stream)
            else:
                self._pg_write(stream)
            self.found.dump_parts += 1
        elif name == SQLITE_MEMBER and stream is not None:
            copy = self.scratch / "database.sqlite3"
            with open(copy, "wb") as out:
                copy_stream(stream, out)
            self.found.sqlite_copy = copy
        elif name == "files" or name.startswith("files/"):
            if info.isfile():
                self.found.files += 1
            if self.files_into is not None:
                extract_member(
                    self.files_into, name.removeprefix("files").lstrip("/"), info, stream
                )
        elif not name.startswith("extra/"):
            raise VerifyFailed(Outcome.other_error, f"unexpected archive member {name}")

    def _dump_write(self, stream: IO[bytes]) -> None:
        if self._dump is None:
            self.found.pg_dump = self.scratch / "database.dump"
            self._dump = open(self.found.pg_dump, "wb")  # noqa: SIM115 - closed in finish/abort
        copy_stream(stream, self._dump)

    def _pg_write(self, stream: IO[bytes]) -> None:
        if self._pg is None:
            self._pg = subprocess.Popen(  # noqa: S603
                [pg_tool("pg_restore", self._bin_dir), "--list"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        assert self._pg.stdin is not None
        try:
            while chunk := stream.read(CHUNK_SIZE):
                self._pg.stdin.write(chunk)
        except BrokenPipeError:  # pg_restore --list stops reading after the table of contents
            while stream.read(CHUNK_SIZE):
                pass

    def finish(self) -> Structure:
        """Check what the database members held; raises `VerifyFailed`."""
        if self.manifest.engine == "postgresql":
            if self._dump is not None:
                self._dump.close()
                self._list_dump_file()
            elif self._pg_sink is not None:
                if self.found.dump_parts == 0:
                    raise VerifyFailed(Outcome.file_missing, "the archive holds no database dump")
            elif self._pg is None:
                raise VerifyFailed(Outcome.file_missing, "the archive holds no database dump")
            else:
                self._finish_pg_list()
        else:
            self._check_sqlite()
        if self.found.files != self.manifest.files:
            raise VerifyFailed(
                Outcome.other_error,
                f"{self.found.files} files in the archive, the manifest says {self.manifest.files}",
            )
        return self.found

    def _list_dump_file(self) -> None:
        assert self.found.pg_dump is not None
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [pg_tool("pg_restore", self._bin_dir), "--list", str(self.found.pg_dump)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            check=False,
        )
        if done.returncode != 0:
            message = done.stderr.decode(errors="replace").strip()[:300]
            raise VerifyFailed(Outcome.other_error, f"pg_restore --list: {message}")

    def _finish_pg_list(self) -> None:
        assert self._pg is not None
        assert self._pg.stdin is not None
        assert self._pg.stderr is not None
        with contextlib.suppress(BrokenPipeError):
            self._pg.stdin.close()
        errors = self._pg.stderr.read()
        if self._pg.wait() != 0:
            message = errors.decode(errors="replace").strip()[:300]
            raise VerifyFailed(Outcome.other_error, f"pg_restore --list: {message}")

    def _check_sqlite(self) -> None:
        if self.found.sqlite_copy is None:
            raise VerifyFailed(Outcome.file_missing, "the archive holds no database file")
        connection = sqlite3.connect(self.found.sqlite_copy)
        try:
            result = connection.execute("PRAGMA integrity_check").fetchone()
        except sqlite3.DatabaseError as error:
            raise VerifyFailed(Outcome.other_error, f"database file: {error}") from None
        finally:
            connection.close()
        if result is None or result[0] != "ok":
            raise VerifyFailed(Outcome.other_error, f"integrity_check: {result}")

    def abort(self) -> None:
        if self._dump is not None:
            self._dump.close()
        if self._pg is not None and self._pg.poll() is None:
            self._pg.kill()
            self._pg.wait()


def extract_member(
    root: Path, relative: str, info: tarfile.TarInfo, stream: IO[bytes] | None
) -> None:
    """Write one member under `root`; anything but plain files and folders, or a name that
    leaves `root`, is refused."""
    target = (root / relative).resolve() if relative else root.resolve()
    if target != root.resolve() and root.resolve() not in target.parents:
        raise VerifyFailed(
            Outcome.other_error, f"archive member {info.name} leaves the target folder"
        )
    if info.isdir():
        target.mkdir(parents=True, exist_ok=True)
    elif info.isfile() and stream is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as out:
            copy_stream(stream, out)
        os.chmod(target, info.mode & 0o777)
    else:
        raise VerifyFailed(
            Outcome.other_error, f"archive member {info.name} is not a file or folder"
        )


def copy_stream(source: IO[bytes], target: IO[bytes]) -> None:
    """Copy in `CHUNK_SIZE` pieces through one reused buffer (`readinto`: the member's
    bytes are decompressed into it and written from it, no other copy)."""
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    while count := source.readinto(view):  # type: ignore[attr-defined]
        target.write(view[:count])


def verify_archive(
    archive: Path,
    identities: Sequence[pyrage.x25519.Identity],
    manifest: Manifest,
    scratch: Path,
    bin_dir: Path | None,
    files_into: Path | None = None,
    *,
    keep_dump: bool = False,
) -> Structure:
    """The full verify pass over a downloaded object (see `StructureVisitor`)."""
    visitor = StructureVisitor(manifest, scratch, bin_dir, files_into, keep_dump=keep_dump)
    try:
        walk(archive, identities, manifest, visitor)
        return visitor.finish()
    finally:
        visitor.abort()
