"""Restore of a PostgreSQL backup in one pass: decrypt, check and load at the same time,
with nothing committed until every check has passed.

`pg_restore --single-transaction` reads the dump from a pipe while the verify pass runs; the
last `HOLD_BACK` bytes of the dump are held back until the whole object has decrypted and
authenticated, the plaintext matches the manifest's SHA-256 and every member has been
checked. Without those bytes pg_restore cannot finish its last data block, so it cannot reach
its COMMIT; on any failure it is killed and its transaction rolls back — the target is left
as it was (the same promise as checking everything first, without decrypting twice or
writing the plaintext dump to disk).
"""

from __future__ import annotations

import contextlib
import fcntl
import subprocess
import tempfile
from pathlib import Path
from typing import IO, Any

import pyrage
from sqlalchemy import Engine

from oversight.backup.dump import libpq_args, pg_tool
from oversight.backup.errors import BackupError
from oversight.backup.manifest import Manifest
from oversight.backup.verify import Structure, StructureVisitor, walk

HOLD_BACK = 64 * 1024
PIPE_SIZE = 1024 * 1024


class HeldBackSink:
    """Writes through to `target` all but the last `keep` bytes seen so far; `release`
    writes those."""

    def __init__(self, target: IO[bytes], keep: int = HOLD_BACK) -> None:
        self.target = target
        self.keep = keep
        self.tail = bytearray()

    def write(self, data: Any) -> int:
        """Pass on what is no longer among the last `keep` bytes: straight from `data`
        (a reused buffer) when it is larger than `keep`, so only the tail is copied."""
        view = memoryview(data).cast("B")
        size = len(view)
        if len(self.tail) + size <= self.keep:
            self.tail += view
        elif size >= self.keep:
            if self.tail:
                self.target.write(self.tail)
            self.target.write(view[: size - self.keep])
            self.tail[:] = view[size - self.keep :]
        else:
            cut = len(self.tail) + size - self.keep
            self.target.write(bytes(self.tail[:cut]))
            del self.tail[:cut]
            self.tail += view
        return size

    def release(self) -> None:
        self.target.write(bytes(self.tail))
        self.tail.clear()


def restore_postgres_streaming(
    *,
    archive: Path,
    identities: list[pyrage.x25519.Identity],
    manifest: Manifest,
    engine: Engine,
    bin_dir: Path | None,
    scratch: Path,
    files_into: Path | None,
    clean: bool,
) -> Structure:
    """Verify `archive` and load its dump into `engine` in one pass (see the module
    docstring); returns what the verify pass found. `VerifyFailed` / `BackupError` leave the
    database unchanged."""
    dbname, env = libpq_args(engine.url)
    argv = [
        pg_tool("pg_restore", bin_dir),
        "--no-owner",
        "--no-privileges",
        "--single-transaction",
        "--exit-on-error",
        *dbname,
    ]
    if clean:
        argv += ["--clean", "--if-exists"]
    engine.dispose()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=errors, env=env
        )
        assert process.stdin is not None
        _widen_pipe(process.stdin.fileno())
        sink = HeldBackSink(process.stdin)
        visitor = StructureVisitor(manifest, scratch, bin_dir, files_into, pg_sink=sink)
        try:
            walk(archive, identities, manifest, visitor)
            found = visitor.finish()
            # Everything is checked: let pg_restore finish and commit.
            sink.release()
            process.stdin.close()
        except BrokenPipeError:
            process.kill()
            process.wait()
            raise BackupError(f"pg_restore failed: {_last_line(errors)}") from None
        except BaseException:
            process.kill()  # before its COMMIT: the transaction rolls back
            process.wait()
            raise
        finally:
            visitor.abort()
        if process.wait() != 0:
            raise BackupError(f"pg_restore failed: {_last_line(errors)}")
    return found


def _widen_pipe(fd: int) -> None:
    """A 1 MiB pipe instead of Linux's 64 KiB: pg_restore and this process then wake each
    other up 16 times less often (measured: the pipe was the bottleneck). Best effort."""
    with contextlib.suppress(OSError, AttributeError):
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)


def _last_line(errors: IO[bytes]) -> str:
    errors.seek(0)
    lines = errors.read().decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "exited without a message"
