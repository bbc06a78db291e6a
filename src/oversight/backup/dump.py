"""Consistent database dumps, streamed into the archive.

- PostgreSQL: `pg_dump -Fc -Z0` reading an exported snapshot (uncompressed: the archive's
  zstd compresses it once, faster than pg_dump's own gzip); its output is cut into parts of
  `PART_SIZE` bytes (a tar member needs its size up front), so memory holds one part at most
  and the dump never lands on disk. Restore: the parts concatenated, into `pg_restore`.
- SQLite: the online backup API copies the live database (writers keep writing) into a
  staging file, which goes into the archive as one member.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import sqlite3
import subprocess
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL, make_url

from oversight.backup.errors import BackupError, NoSpace
from oversight.backup.snapshot import DatabaseFacts, read_facts

PART_SIZE = 8 * 1024 * 1024
PG_PART_PREFIX = "database/pg_dump.part"
SQLITE_MEMBER = "database/oversight.sqlite3"


class DatabaseDump(Protocol):
    facts: DatabaseFacts
    tool_version: str

    def write_into(self, archive: tarfile.TarFile) -> None:
        """Add the dump's members to `archive`."""


def member(name: str, size: int, mode: int = 0o600) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode = size, mode
    return info


def pg_tool(name: str, bin_dir: Path | None) -> str:
    """The path of a PostgreSQL client tool (`pg_dump`, `pg_restore`)."""
    found = str(bin_dir / name) if bin_dir else shutil.which(name)
    if not found or not os.access(found, os.X_OK):
        raise BackupError(
            f"{name} not found (install postgresql-client or set OVERSIGHT_BACKUP__PG_BIN_DIR)"
        )
    return found


def libpq_args(url: URL) -> tuple[list[str], dict[str, str]]:
    """`--dbname` without the password (it goes in PGPASSWORD, not the process list)."""
    plain = url.set(drivername="postgresql", password=None)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return [f"--dbname={plain.render_as_string(hide_password=False)}"], env


@dataclass
class PostgresDump:
    engine: Engine
    pg_dump: str
    facts: DatabaseFacts
    snapshot: str
    tool_version: str

    def write_into(self, archive: tarfile.TarFile) -> None:
        dbname, env = libpq_args(self.engine.url)
        argv = [self.pg_dump, "-Fc", "-Z0", "--no-owner", f"--snapshot={self.snapshot}", *dbname]
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        assert process.stdout is not None
        assert process.stderr is not None
        errors: list[bytes] = []
        reader = threading.Thread(target=lambda: errors.append(process.stderr.read()))  # type: ignore[union-attr]
        reader.start()
        try:
            number = 0
            while part := _read_full(process.stdout, PART_SIZE):
                archive.addfile(
                    member(f"{PG_PART_PREFIX}{number:06d}", len(part)), io.BytesIO(part)
                )
                number += 1
        finally:
            code = process.wait()
            reader.join()
        if code != 0:
            message = b"".join(errors).decode(errors="replace").strip().splitlines()
            raise BackupError(f"pg_dump failed (exit {code}): {message[-1] if message else ''}")


def _read_full(stream: IO[bytes], size: int) -> bytes:
    chunks, left = [], size
    while left and (chunk := stream.read(left)):
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


@contextlib.contextmanager
def postgres_dump(engine: Engine, bin_dir: Path | None) -> Iterator[PostgresDump]:
    """Hold a REPEATABLE READ snapshot open; the facts and `pg_dump` both read it."""
    pg_dump = pg_tool("pg_dump", bin_dir)
    version = subprocess.run(  # noqa: S603
        [pg_dump, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    with engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            connection.execute(text("SET TRANSACTION READ ONLY"))
            snapshot = str(connection.execute(text("SELECT pg_export_snapshot()")).scalar())
            facts = read_facts(connection)
            yield PostgresDump(engine, pg_dump, facts, snapshot, version)


@dataclass
class SqliteDump:
    copy: Path
    facts: DatabaseFacts
    tool_version: str

    def write_into(self, archive: tarfile.TarFile) -> None:
        archive.add(str(self.copy), arcname=SQLITE_MEMBER, recursive=False)


@contextlib.contextmanager
def sqlite_dump(engine: Engine, staging: Path) -> Iterator[SqliteDump]:
    """Copy the live database with the online backup API into `staging`, then read the facts
    from the copy; the copy is removed afterwards."""
    source_path = engine.url.database
    if not source_path or source_path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    copy = staging / f"sqlite-copy-{os.getpid()}.db"
    copy.unlink(missing_ok=True)
    try:
        source = sqlite3.connect(source_path)
        target = sqlite3.connect(copy)
        try:
            # One step (pages=-1): the copy is one read transaction, a consistent snapshot
            # even while the application writes (WAL readers do not block writers).
            source.backup(target, pages=-1)
        except sqlite3.OperationalError as error:
            if "full" in str(error):
                raise NoSpace(
                    "cannot copy the SQLite database to staging: no space left on the staging disk"
                ) from None
            raise BackupError(f"cannot copy the SQLite database: {error}") from None
        finally:
            target.close()
            source.close()
        copy_engine = create_engine(make_url(f"sqlite:///{copy}"))
        try:
            with copy_engine.connect() as connection:
                facts = read_facts(connection)
        finally:
            copy_engine.dispose()
        yield SqliteDump(copy, facts, f"sqlite3 {sqlite3.sqlite_version}")
    finally:
        copy.unlink(missing_ok=True)


@contextlib.contextmanager
def database_dump(engine: Engine, staging: Path, bin_dir: Path | None) -> Iterator[DatabaseDump]:
    """The right dump for the engine."""
    if engine.dialect.name == "postgresql":
        with postgres_dump(engine, bin_dir) as pg:
            yield pg
    elif engine.dialect.name == "sqlite":
        with sqlite_dump(engine, staging) as lite:
            yield lite
    else:
        raise BackupError(f"cannot back up a {engine.dialect.name} database")
