"""`oversight restore`: nothing is committed until the whole object has been downloaded,
compared, decrypted and checked (PostgreSQL: checked while `pg_restore` loads it, its COMMIT
held back — see `streaming`); then the files are put in place, row counts and the audit chain
checked against the manifest, and the schema migrated forward.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pyrage
from alembic.util import CommandError
from sqlalchemy import Engine

from oversight.audit.verification import verify_chain
from oversight.backup.dump import libpq_args, pg_tool
from oversight.backup.errors import BackupError, RestoreRefused
from oversight.backup.manifest import Manifest
from oversight.backup.snapshot import row_counts, schema_revision, table_names
from oversight.backup.streaming import restore_postgres_streaming
from oversight.backup.verify import Outcome, VerifyFailed, download, verify_archive
from oversight.db import migrate as db_migrate
from oversight.observability.logging import get_logger
from oversight.storage import Storage

log = get_logger("oversight.backup")


@dataclass(frozen=True, slots=True)
class RestoreReport:
    backup_id: str
    migrated_from: str | None
    migrated_to: str | None
    tables: int
    rows: int
    audit_events: int
    files: int
    replaced: bool


def check_target(
    engine: Engine, files_dir: Path | None, manifest: Manifest, *, force: bool
) -> bool:
    """Refuse a target of another engine, or a non-empty one without `force`. True when
    something will be replaced."""
    if engine.dialect.name != manifest.engine:
        raise RestoreRefused(
            f"backup {manifest.id} is a {manifest.engine} backup; "
            f"the target database is {engine.dialect.name}"
        )
    with engine.connect() as connection:
        tables = table_names(connection)
    files_busy = files_dir is not None and files_dir.exists() and any(files_dir.iterdir())
    if (tables or files_busy) and not force:
        what = "the database has tables" if tables else f"{files_dir} is not empty"
        raise RestoreRefused(f"restore target is not empty ({what}); use --force to replace it")
    return bool(tables or files_busy)


def restore(
    *,
    storage: Storage,
    manifest: Manifest,
    identities: list[pyrage.x25519.Identity],
    engine: Engine,
    files_dir: Path | None,
    force: bool,
    scratch_root: Path,
    bin_dir: Path | None,
    jobs: int = 1,
) -> RestoreReport:
    """Restore `manifest`'s backup into `engine` and `files_dir`; see the module docstring.
    The object is decrypted once. PostgreSQL with `jobs` 1: verified and loaded in one pass,
    nothing committed before every check passed (`streaming`); `jobs` > 1: the verify pass
    writes the dump to the scratch folder, then `pg_restore --jobs` loads it."""
    replaced = check_target(engine, files_dir, manifest, force=force)
    scratch_root.mkdir(parents=True, exist_ok=True)
    files_stage = None
    if files_dir is not None:
        files_dir.parent.mkdir(parents=True, exist_ok=True)
        files_stage = Path(
            tempfile.mkdtemp(prefix=f".{files_dir.name}.restore-", dir=files_dir.parent)
        )
    try:
        with tempfile.TemporaryDirectory(prefix="restore-", dir=scratch_root) as scratch_name:
            scratch = Path(scratch_name)
            started = time.perf_counter()
            archive = download(storage, manifest, scratch)
            log.info("restore_step", step="download", seconds=_since(started))
            if manifest.engine == "postgresql" and jobs == 1:
                found = restore_postgres_streaming(
                    archive=archive, identities=identities, manifest=manifest, engine=engine,
                    bin_dir=bin_dir, scratch=scratch, files_into=files_stage, clean=replaced,
                )  # fmt: skip
            else:
                found = verify_archive(
                    archive, identities, manifest, scratch, bin_dir, files_stage, keep_dump=True
                )
                log.info("restore_step", step="verify", seconds=_since(started))
                archive.unlink()  # the dump is out: free its space before the database grows
                # Everything has been read and checked: from here on the target changes.
                if manifest.engine == "sqlite":
                    assert found.sqlite_copy is not None
                    _restore_sqlite(found.sqlite_copy, engine)
                else:
                    assert found.pg_dump is not None
                    _restore_postgres(found.pg_dump, engine, bin_dir, clean=replaced, jobs=jobs)
            log.info("restore_step", step="database", seconds=_since(started))
        report = _check_restored(engine, manifest, found.files, replaced)
        log.info("restore_step", step="checked", seconds=_since(started))
        if files_dir is not None and files_stage is not None:
            _put_files_in_place(files_stage, files_dir)
            files_stage = None
        return report
    finally:
        if files_stage is not None:
            shutil.rmtree(files_stage, ignore_errors=True)


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 3)


def _restore_sqlite(copy: Path, engine: Engine) -> None:
    engine.dispose()
    target_path = engine.url.database
    assert target_path
    source = sqlite3.connect(copy)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target, pages=-1)
    finally:
        target.close()
        source.close()


def _restore_postgres(
    dump: Path, engine: Engine, bin_dir: Path | None, *, clean: bool, jobs: int
) -> None:
    """`pg_restore` of the verified dump file. One job: one transaction (all or nothing);
    more: `--jobs` loads tables and builds indexes in parallel, which PostgreSQL allows only
    outside a single transaction (a failure then leaves a partial database behind, which
    `--force` replaces on the next try)."""
    dbname, env = libpq_args(engine.url)
    argv = [
        pg_tool("pg_restore", bin_dir),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        *(["--single-transaction"] if jobs == 1 else [f"--jobs={jobs}"]),
        *dbname,
    ]
    if clean:
        argv += ["--clean", "--if-exists"]
    argv.append(str(dump))
    engine.dispose()
    done = subprocess.run(  # noqa: S603 - fixed argv, no shell
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False
    )
    if done.returncode != 0:
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise BackupError(f"pg_restore failed: {lines[-1] if lines else done.returncode}")


def _check_restored(
    engine: Engine, manifest: Manifest, files: int, replaced: bool
) -> RestoreReport:
    with engine.connect() as connection:
        revision = schema_revision(connection)
        counts = row_counts(connection)
    if revision != manifest.alembic_revision:
        raise VerifyFailed(
            Outcome.other_error,
            f"schema revision {revision} after restore, "
            f"the manifest says {manifest.alembic_revision}",
        )
    if counts != manifest.row_counts:
        differing = sorted(
            name
            for name in set(counts) | set(manifest.row_counts)
            if counts.get(name) != manifest.row_counts.get(name)
        )
        raise VerifyFailed(
            Outcome.other_error, f"row counts differ from the manifest in {', '.join(differing)}"
        )
    with engine.connect() as connection, connection.begin():
        chain = verify_chain(connection)
    if manifest.audit_last_id and (
        not chain.ok
        or chain.last_id != manifest.audit_last_id
        or chain.last_hash != manifest.audit_head_hash
    ):
        problem = chain.broken.describe() if chain.broken else f"ends at event {chain.last_id}"
        raise VerifyFailed(
            Outcome.other_error,
            f"the audit chain does not verify against the manifest's head: {problem}",
        )
    try:
        db_migrate.upgrade(engine)
    except CommandError as error:
        raise BackupError(
            f"cannot migrate the restored schema (revision {revision}): {error}; "
            "is the backup newer than this version of Oversight?"
        ) from None
    with engine.connect() as connection:
        now = schema_revision(connection)
    return RestoreReport(
        backup_id=manifest.id,
        migrated_from=revision if now != revision else None,
        migrated_to=now if now != revision else None,
        tables=len(counts),
        rows=sum(counts.values()),
        audit_events=chain.events_checked,
        files=files,
        replaced=replaced,
    )


def _put_files_in_place(stage: Path, files_dir: Path) -> None:
    if files_dir.exists():
        if any(files_dir.iterdir()):
            aside = files_dir.with_name(
                f"{files_dir.name}.before-restore-{stage.name.rsplit('-', 1)[-1]}"
            )
            files_dir.rename(aside)
        else:
            files_dir.rmdir()
    stage.rename(files_dir)
