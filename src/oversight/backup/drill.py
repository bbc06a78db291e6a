"""Restore drills: the newest verified backup restored into a scratch database (a temporary
SQLite file, or a PostgreSQL database created on `OVERSIGHT_BACKUP__DRILL_DATABASE_URL`'s
server and dropped afterwards) and checked as a restore checks; the result is recorded in the
storage (`<set>/drills/…`, read by the monitor), the audit trail and the metrics."""

from __future__ import annotations

import contextlib
import io
import json
import secrets
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyrage
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from oversight.audit.events import record_event
from oversight.backup import metrics
from oversight.backup.database import open_database
from oversight.backup.errors import BackupError
from oversight.backup.manifest import catalogue
from oversight.backup.monitoring import DRILLS, newest_verified
from oversight.backup.restore import restore
from oversight.backup.service import Clock, failed, log, scratch_folder, set_name
from oversight.config import Settings
from oversight.kit.clock import utcnow
from oversight.storage import Storage, StorageError, open_storage


@contextlib.contextmanager
def scratch_database(settings: Settings, engine_name: str) -> Iterator[Engine]:
    """An empty database of `engine_name`, removed when the block ends."""
    if engine_name == "sqlite":
        settings.backup.staging_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(
            prefix="drill-", dir=settings.backup.staging_dir
        ) as folder:
            engine = open_database(f"sqlite:///{Path(folder) / 'drill.db'}")
            try:
                yield engine
            finally:
                engine.dispose()
        return
    server = settings.backup.drill_database_url or settings.database.url
    url = make_url(server)
    if url.get_backend_name() != "postgresql":
        raise BackupError(
            "a PostgreSQL drill needs OVERSIGHT_BACKUP__DRILL_DATABASE_URL (a server)"
        )
    name = f"oversight_drill_{secrets.token_hex(4)}"
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        engine = open_database(url.set(database=name).render_as_string(hide_password=False))
        try:
            yield engine
        finally:
            engine.dispose()
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@dataclass(frozen=True, slots=True)
class DrillReport:
    backup_id: str
    ok: bool
    detail: str
    seconds: float


def drill(
    session: Session | None,
    settings: Settings,
    engine: Engine,
    identities: list[pyrage.x25519.Identity],
    *,
    clock: Clock = utcnow,
) -> DrillReport:
    """Restore the newest verified backup into a scratch database and folder, check it as a
    restore does, record the result in the storage (`<set>/drills/…`) and the audit trail."""
    started = time.perf_counter()
    backup_set = set_name(settings, engine)
    with open_storage(settings.backup.target) as storage:
        manifest = newest_verified(catalogue(storage, backup_set), clock())
        if manifest is None:
            error = BackupError(f"drill: no verified backup in {storage.display}/{backup_set}")
            failed(session, "drill", error)
            raise error
        try:
            with (
                scratch_database(settings, manifest.engine) as target,
                scratch_folder(settings) as scratch,
            ):
                report = restore(
                    storage=storage,
                    manifest=manifest,
                    identities=identities,
                    engine=target,
                    files_dir=scratch / "files",
                    force=False,
                    scratch_root=scratch,
                    bin_dir=settings.backup.pg_bin_dir,
                    jobs=settings.backup.restore_jobs,
                )
        except (BackupError, StorageError) as error:
            _record_drill(storage, backup_set, manifest.id, False, str(error), clock())
            failed(session, "drill", error, backup=manifest.id)
            raise error if isinstance(error, BackupError) else BackupError(str(error)) from None
        finished = clock()
        detail = (
            f"{report.tables} tables, {report.rows} rows, "
            f"{report.audit_events} audit events, {report.files} files"
        )
        _record_drill(storage, backup_set, manifest.id, True, detail, finished)
    metrics.DRILL_LAST_SUCCESS.set(finished.timestamp())
    if session is not None:
        record_event(
            session,
            "backup.drilled",
            entity_type="backup",
            entity_id=manifest.id,
            details={"ok": True, "detail": detail},
        )
    log.info("backup_drill_passed", action="backup_drill", status="success", backup=manifest.id)
    return DrillReport(manifest.id, True, detail, time.perf_counter() - started)


def _record_drill(
    storage: Storage, backup_set: str, backup_id: str, ok: bool, detail: str, finished: datetime
) -> None:
    record = {"backup": backup_id, "ok": ok, "detail": detail, "finished_at": finished.isoformat()}
    name = f"{backup_set}/{DRILLS}/{finished:%Y%m%dT%H%M%S}Z-{backup_id}.json"
    storage.put(name, io.BytesIO(json.dumps(record).encode()))
