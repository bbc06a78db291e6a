"""The run's failure modes and the operations around it: disk full, flaky uploads, writers
during the backup, pruning, the RPO monitor with a fake clock, and restore drills."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, timedelta
from typing import BinaryIO

import pytest
from sqlalchemy import text

from oversight.backup import drill, making, monitoring, service
from oversight.backup.errors import BackupError, NoSpace
from oversight.backup.manifest import catalogue
from oversight.observability.metrics import REGISTRY
from oversight.storage import ObjectInfo, StorageFull, StorageUnavailable
from oversight.storage.local import LocalStorage

from .conftest import World


def run(world: World, **kwargs):
    with world.session() as session:
        return service.run(session, world.settings, **kwargs)


class Flaky(LocalStorage):
    """A real local folder whose first `failures` puts fail as a network would."""

    def __init__(self, root, failures: int, error: type[Exception] = StorageUnavailable) -> None:
        super().__init__(root)
        self.failures, self.error, self.attempts = failures, error, 0

    def put(self, name: str, stream: BinaryIO, *, size: int | None = None) -> ObjectInfo:
        self.attempts += 1
        if self.failures:
            self.failures -= 1
            stream.read(1000)
            raise self.error(f"storage {self.display}: connection reset")
        return super().put(name, stream, size=size)


@pytest.mark.resilience
def test_a_failed_upload_is_retried_and_the_staged_copy_kept_until_it_succeeds(world):
    storage = Flaky(world.storage_dir, failures=2)
    outcome = making.run_backup(settings=world.settings.backup, engine=world.engine,
                                storage=storage, set_name="s")  # fmt: skip
    assert storage.attempts == 4  # object: 2 failures + 1; manifest: 1
    assert [e.id for e in catalogue(world.storage, "s") if e.verified] == [outcome.manifest.id]
    assert list(world.settings.backup.staging_dir.glob("*.age")) == []


class Garbling(LocalStorage):
    """A real local folder that stores one flipped byte on the first archive it receives."""

    def __init__(self, root) -> None:
        super().__init__(root)
        self.garbled = 0
        self.puts = 0

    def put(self, name: str, stream: BinaryIO, *, size: int | None = None) -> ObjectInfo:
        self.puts += 1
        if not self.garbled and name.endswith(".age"):
            self.garbled += 1
            data = bytearray(stream.read())
            data[len(data) // 2] ^= 0x01
            return super().put(name, io.BytesIO(bytes(data)), size=size)
        return super().put(name, stream, size=size)


def test_an_object_that_reads_back_differently_is_removed_and_uploaded_again(world):
    storage = Garbling(world.storage_dir)
    outcome = making.run_backup(settings=world.settings.backup, engine=world.engine,
                                storage=storage, set_name="s")  # fmt: skip
    assert storage.garbled == 1
    assert storage.puts == 3  # archive twice (the first read back differently), manifest once
    assert making.read_back(world.storage, outcome.manifest.object) == (
        outcome.manifest.ciphertext_sha256
    )


@pytest.mark.resilience
def test_an_upload_that_keeps_failing_fails_the_run_and_keeps_the_staged_copy(world):
    storage = Flaky(world.storage_dir, failures=100)
    with pytest.raises(BackupError, match=r"upload of .* failed: .*connection reset"):
        making.run_backup(settings=world.settings.backup, engine=world.engine, storage=storage,
                          set_name="s")  # fmt: skip
    assert storage.attempts == world.settings.backup.upload_attempts
    assert len(list(world.settings.backup.staging_dir.glob("*.age"))) == 1
    # The next run uploads it first, then makes its own.
    again = making.run_backup(settings=world.settings.backup, engine=world.engine,
                              storage=world.storage, set_name="s")  # fmt: skip
    assert len(again.uploaded_pending) == 1
    assert len([e for e in catalogue(world.storage, "s") if e.verified]) == 2


def test_a_full_storage_fails_once_with_one_clear_line(world):
    storage = Flaky(world.storage_dir, failures=100, error=StorageFull)
    with pytest.raises(NoSpace) as failure:
        making.run_backup(settings=world.settings.backup, engine=world.engine, storage=storage,
                          set_name="s")  # fmt: skip
    assert storage.attempts == 1
    assert "\n" not in str(failure.value)
    assert "connection reset" in str(failure.value)


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 256 KiB file system (tmpfs), so writing past it is a real ENOSPC."""
    import subprocess

    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.resilience
def test_a_full_staging_disk_is_no_space_at_once_and_leaves_nothing(world, tiny_disk):
    import os

    (world.files_dir / "big.bin").write_bytes(os.urandom(1024 * 1024))
    backup = world.settings.backup.model_copy(update={"staging_dir": tiny_disk / "staging"})
    with pytest.raises(NoSpace) as failure:
        making.run_backup(settings=backup, engine=world.engine, storage=world.storage,
                          set_name="s")  # fmt: skip
    assert str(failure.value).endswith(": no space left on the staging disk")
    assert [p.name for p in (tiny_disk / "staging").iterdir()] == [".backup.lock"]
    assert not world.storage_dir.exists() or list(world.storage_dir.rglob("*.age")) == []


def test_failures_are_audited_counted_and_one_line(world, monkeypatch):
    before = REGISTRY.get_sample_value("oversight_backup_failures_total",
                                       {"operation": "run", "reason": "error"}) or 0  # fmt: skip
    monkeypatch.setattr(world.settings.backup, "__dict__", {**world.settings.backup.__dict__,
                        "recipients": ()})  # fmt: skip
    with pytest.raises(BackupError, match="no age recipient configured"):
        run(world)
    after = REGISTRY.get_sample_value("oversight_backup_failures_total",
                                      {"operation": "run", "reason": "error"})  # fmt: skip
    assert after == before + 1
    with world.engine.connect() as connection:
        actions = connection.execute(text("SELECT action FROM audit_events")).scalars().all()
    assert "backup.run_failed" in actions


def test_the_backup_is_consistent_while_the_app_writes(world, backend, database_url_factory):
    from oversight.backup.database import open_database

    stop = threading.Event()
    written = []

    with world.engine.begin() as connection:
        connection.execute(text("CREATE TABLE canary (n INTEGER NOT NULL, pad TEXT)"))

    def writer() -> None:
        while not stop.is_set():
            with world.engine.begin() as connection:
                connection.execute(text("INSERT INTO canary (n, pad) VALUES (:n, :pad)"),
                                   {"n": len(written), "pad": "x" * 2000})  # fmt: skip
                connection.execute(text("UPDATE customers SET name = name"))
            written.append(1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        manifest = making.run_backup(settings=world.settings.backup, engine=world.engine,
                                     storage=world.storage, set_name="s").manifest  # fmt: skip
    finally:
        stop.set()
        thread.join()
    assert written
    target = open_database(database_url_factory(backend))
    service.restore_backup(settings=world.settings, manifest=manifest, storage=world.storage,
                           identities=world.identities(), target=target, files_dir=None,
                           force=False)  # fmt: skip
    # Restore checked the row counts against the manifest; the canary rows are a prefix.
    with target.connect() as connection:
        numbers = connection.execute(text("SELECT n FROM canary ORDER BY n")).scalars().all()
    assert numbers == list(range(len(numbers)))
    if backend == "sqlite":
        with target.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    target.dispose()


def test_prune_dry_run_deletes_nothing_and_prune_needs_todays_verified_backup(world):
    for _ in range(3):
        run(world, prune=False)
    settings = world.settings.model_copy(update={"backup": world.settings.backup.model_copy(
        update={"keep_daily": 1, "keep_weekly": 0, "keep_monthly": 0})})  # fmt: skip
    backup_set = service.set_name(settings, world.engine)
    plan = service.apply_retention(None, settings, world.engine, dry_run=True)
    assert len(plan.keep) == 1
    assert len(plan.remove) == 2
    assert len([e for e in catalogue(world.storage, backup_set) if e.verified]) == 3
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    with pytest.raises(BackupError, match="no verified backup from today"):
        service.apply_retention(None, settings, world.engine, dry_run=False, clock=lambda: tomorrow)
    service.apply_retention(None, settings, world.engine, dry_run=False)
    assert [e.id for e in catalogue(world.storage, backup_set)] == list(plan.keep)


def test_the_run_never_touches_objects_outside_its_own_names(world):
    backup_set = service.set_name(world.settings, world.engine)
    strangers = {
        "other-set/20200101T000000Z-abcdef.age": b"another server's backup",
        f"{backup_set}/notes.txt": b"someone's notes",
        f"{backup_set}/sub/20200101T000000Z-abcdef.age": b"nested",
        "loose.age": b"loose",
    }
    for name, data in strangers.items():
        (world.storage_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (world.storage_dir / name).write_bytes(data)
    settings = world.settings.model_copy(update={"backup": world.settings.backup.model_copy(
        update={"keep_daily": 1, "keep_weekly": 0, "keep_monthly": 0})})  # fmt: skip
    for _ in range(2):
        with world.session() as session:
            service.run(session, settings)
    for name, data in strangers.items():
        assert (world.storage_dir / name).read_bytes() == data
    assert len([e for e in catalogue(world.storage, backup_set) if e.verified]) == 1


def test_rpo_monitor_exports_the_age_of_the_newest_verified_backup(world):
    manifest = run(world).manifest
    later = manifest.created_at + timedelta(hours=25)
    assert monitoring.monitor(world.settings, world.engine, clock=lambda: later) == 25 * 3600
    assert REGISTRY.get_sample_value("oversight_backup_newest_verified_age_seconds") == 25 * 3600
    # A garbage newer object does not make the monitor younger.
    backup_set = service.set_name(world.settings, world.engine)
    (world.storage_dir / backup_set / "29990101T000000Z-abcdef.age").write_bytes(b"junk")
    assert monitoring.monitor(world.settings, world.engine, clock=lambda: later) == 25 * 3600


def test_a_drill_restores_the_newest_backup_and_exports_its_time(world, postgres):
    settings = world.settings
    if world.engine.dialect.name == "postgresql":
        backup = settings.backup.model_copy(update={"drill_database_url": postgres.url()})
        settings = settings.model_copy(update={"backup": backup})
    manifest = run(world).manifest
    with world.session() as session:
        report = drill.drill(session, settings, world.engine, world.identities())
    assert report.ok
    assert report.backup_id == manifest.id
    stamp = REGISTRY.get_sample_value("oversight_backup_drill_last_success_timestamp_seconds")
    assert stamp is not None
    assert abs(stamp - datetime.now(UTC).timestamp()) < 60
    backup_set = service.set_name(settings, world.engine)
    assert monitoring.newest_drill(world.storage, backup_set) is not None
    with world.engine.connect() as connection:
        actions = connection.execute(text("SELECT action FROM audit_events")).scalars().all()
    assert "backup.drilled" in actions


def test_a_drill_with_the_wrong_identity_fails_and_is_recorded(world, tmp_path):
    from oversight.backup.crypto import read_identities

    from .conftest import write_identity

    run(world)
    write_identity(tmp_path / "other.txt")
    with pytest.raises(BackupError, match="cannot decrypt"), world.session() as session:
        drill.drill(session, world.settings, world.engine, read_identities(tmp_path / "other.txt"))
    with world.engine.connect() as connection:
        actions = connection.execute(text("SELECT action FROM audit_events")).scalars().all()
    assert "backup.drill_failed" in actions


def test_every_retained_backup_is_re_read_once_in_any_seven_days(world):
    from oversight.backup.verify import Outcome

    manifests = [run(world, prune=False).manifest for _ in range(3)]
    start = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    seen: dict[str, int] = {}
    for day in range(7):
        moment = start + timedelta(days=day)
        results = monitoring.reread_due(world.settings, world.engine, clock=lambda m=moment: m)
        assert set(results.values()) <= {Outcome.ok}
        for backup_id in results:
            seen[backup_id] = seen.get(backup_id, 0) + 1
    assert seen == {m.id: 1 for m in manifests}
    # A damaged object is found on its day.
    victim = manifests[0]
    path = world.storage_dir / victim.object
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    found = {}
    for day in range(7):
        moment = start + timedelta(days=day)
        found |= monitoring.reread_due(world.settings, world.engine, clock=lambda m=moment: m)
    assert found[victim.id] is Outcome.checksum_mismatch
