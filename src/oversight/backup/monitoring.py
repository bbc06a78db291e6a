"""The RPO monitor and the daily re-read: what the storage really holds, exported.

`monitor` reads the storage (not a job's claim): the newest verified backup, how many there
are, and the newest successful drill recorded under `<set>/drills/`. `reread_due` re-reads a
deterministic seventh of the retained backups each day (BACKUPS.md 27).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from oversight.backup import metrics
from oversight.backup.errors import BackupError
from oversight.backup.making import read_back
from oversight.backup.manifest import Entry, Manifest, catalogue
from oversight.backup.service import Clock, failed, set_name
from oversight.backup.verify import Outcome
from oversight.config import Settings
from oversight.kit.clock import utcnow
from oversight.storage import Storage, StorageError, open_storage

DRILLS = "drills"


def newest_verified(entries: list[Entry], now: datetime) -> Manifest | None:
    candidates = [e.manifest for e in entries if e.manifest is not None and e.time <= now]
    return max(candidates, key=lambda m: m.created_at) if candidates else None


def monitor(settings: Settings, engine: Engine, *, clock: Clock = utcnow) -> float | None:
    """The RPO monitor: export now - newest verified backup, its time, the count of verified
    backups and the newest successful drill recorded in the storage. Returns the age (s)."""
    now = clock()
    backup_set = set_name(settings, engine)
    with open_storage(settings.backup.target) as storage:
        entries = catalogue(storage, backup_set)
        drill = newest_drill(storage, backup_set)
    newest = newest_verified(entries, now)
    metrics.VERIFIED_BACKUPS.set(sum(1 for e in entries if e.verified))
    if drill is not None:
        metrics.DRILL_LAST_SUCCESS.set(drill)
    if newest is None:
        return None
    age = (now - newest.created_at).total_seconds()
    metrics.NEWEST_AGE.set(age)
    metrics.LAST_SUCCESS.set(newest.created_at.timestamp())
    return age


@dataclass(frozen=True, slots=True)
class BackupStatus:
    """What the storage holds now: the newest verified backup (None: none yet), its age, the
    newest successful restore drill, and the recovery point objective it is measured by."""

    newest: Manifest | None
    age_seconds: float | None
    drill_at: datetime | None
    rpo_hours: float

    @property
    def rpo_met(self) -> bool:
        return self.age_seconds is not None and self.age_seconds <= self.rpo_hours * 3600


def status(settings: Settings, engine: Engine, *, clock: Clock = utcnow) -> BackupStatus:
    """The backup status read from the storage (not from a job's claim), for people (the
    bot's /backup_status). `BackupError` (one line) when the storage cannot be read."""
    now = clock()
    backup_set = set_name(settings, engine)
    try:
        with open_storage(settings.backup.target) as storage:
            entries = catalogue(storage, backup_set)
            drill = newest_drill(storage, backup_set)
    except StorageError as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise BackupError(reason) from None
    newest = newest_verified(entries, now)
    return BackupStatus(
        newest=newest,
        age_seconds=None if newest is None else (now - newest.created_at).total_seconds(),
        drill_at=None if drill is None else datetime.fromtimestamp(drill, UTC),
        rpo_hours=settings.backup.rpo_hours,
    )


def newest_drill(storage: Storage, backup_set: str) -> float | None:
    """Unix time of the newest successful drill recorded under `<set>/drills/`."""
    newest = None
    for info in storage.list_objects(f"{backup_set}/{DRILLS}/"):
        try:
            with storage.get(info.name) as stream:
                record = json.loads(stream.read(64 * 1024))
            if record.get("ok") is True:
                stamp = float(datetime.fromisoformat(record["finished_at"]).timestamp())
                newest = stamp if newest is None else max(newest, stamp)
        except (ValueError, KeyError, TypeError, StorageError):
            continue
    return newest


def reread_due(settings: Settings, engine: Engine, *, clock: Clock = utcnow) -> dict[str, Outcome]:
    """Rule 27: re-read today's seventh of the retained backups (by a hash of the id, so each
    one comes round once every 7 days) and compare its SHA-256 with the manifest."""
    today = clock().astimezone(settings.company.calendar.timezone).date().toordinal()
    results: dict[str, Outcome] = {}
    with open_storage(settings.backup.target) as storage:
        for entry in catalogue(storage, set_name(settings, engine)):
            manifest = entry.manifest
            if (
                manifest is None
                or int(hashlib.sha256(manifest.id.encode()).hexdigest(), 16) % 7 != today % 7
            ):
                continue
            try:
                ok = read_back(storage, manifest.object) == manifest.ciphertext_sha256
                results[manifest.id] = Outcome.ok if ok else Outcome.checksum_mismatch
            except StorageError:
                results[manifest.id] = Outcome.file_missing
            if results[manifest.id] is not Outcome.ok:
                failed(None, "verify", BackupError(f"{manifest.id}: {results[manifest.id].value}"))
    return results
