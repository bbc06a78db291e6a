"""Monthly log and audit archives: shipped encrypted to the backup storage (local, and SFTP
against the real sshd), each once, old logs removed here after the upload is verified,
leftovers cleaned, and each kind expired after its own retention."""

from __future__ import annotations

import io
import json
import os
import tarfile
import time
from datetime import UTC, datetime, timedelta

import pyrage
import pytest
import zstandard
from sqlalchemy import select
from typer.testing import CliRunner

from oversight.audit.archive import archive_before
from oversight.audit.models import AuditEvent
from oversight.backup import archiving, service, shipping
from oversight.backup.errors import BackupError
from oversight.cli import app
from oversight.config import get_settings, load_settings
from oversight.kit.clock import utcnow
from oversight.observability.metrics import REGISTRY
from oversight.storage import Storage, open_storage

from .conftest import World

runner = CliRunner()
DAY = 86_400


def unpack(storage: Storage, index: shipping.ArchiveIndex, world: World) -> dict[str, bytes]:
    """Decrypt with the offline identity, decompress and untar the shipped object."""
    with storage.get(index.object) as stream:
        plain = pyrage.decrypt(stream.read(), world.identities())
    tar_bytes = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(plain)).read()
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def make_logs(world: World) -> dict[str, bytes]:
    """A live log, a rotated one 40 days old and one 5 days old; returns their contents."""
    logs = world.root / "logs"
    logs.mkdir()
    contents = {
        "oversight.log": b'{"action": "live"}\n',
        "oversight.log.1": b'{"action": "recent"}\n',
        "oversight.log.2": os.urandom(70_000),
    }
    for name, data in contents.items():
        (logs / name).write_bytes(data)
    old = time.time() - 40 * DAY
    os.utime(logs / "oversight.log.2", (old, old))
    recent = time.time() - 5 * DAY
    os.utime(logs / "oversight.log.1", (recent, recent))
    return contents


def make_audit_archive(world: World) -> str:
    tomorrow = utcnow().date() + timedelta(days=1)
    with world.engine.begin() as connection:
        result = archive_before(connection, tomorrow, world.root / "audit-archive")
    assert result is not None
    (path,) = result.files
    return path.name


def configure(world: World, monkeypatch: pytest.MonkeyPatch, **extra: str):
    monkeypatch.setenv("OVERSIGHT_OBSERVABILITY__LOG_FILE", str(world.root / "logs/oversight.log"))
    monkeypatch.setenv("OVERSIGHT_AUDIT__ARCHIVE_DIR", str(world.root / "audit-archive"))
    for name, value in extra.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    return load_settings(_env_file=None)


def test_logs_and_audit_ship_once_decrypt_and_expire_on_their_own_retention(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    contents = make_logs(world)
    audit_name = make_audit_archive(world)
    settings = configure(world, monkeypatch)
    set_name = service.set_name(settings, world.engine)
    with open_storage(settings.backup.target) as storage:  # a leftover of a killed run
        storage.put(
            f"_archives/{set_name}/logs/20200101T000000Z-abcdef.tar.zst.age", io.BytesIO(b"x")
        )

    with world.session() as session:
        report = archiving.run_archives(session, settings)

    assert report.logs is not None
    assert report.audit is not None
    assert [m.name for m in report.logs.members] == ["oversight.log.2"]
    assert [m.name for m in report.audit.members] == [audit_name]
    assert report.leftovers_removed == [
        f"_archives/{set_name}/logs/20200101T000000Z-abcdef.tar.zst.age"
    ]
    logs = world.root / "logs"
    assert sorted(p.name for p in logs.iterdir()) == ["oversight.log", "oversight.log.1"]
    assert (world.root / "audit-archive" / audit_name).exists()  # the audit trail owns it
    storage = world.storage
    assert unpack(storage, report.logs, world) == {"oversight.log.2": contents["oversight.log.2"]}
    shipped_audit = unpack(storage, report.audit, world)
    assert shipped_audit == {audit_name: (world.root / "audit-archive" / audit_name).read_bytes()}
    with world.session() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "backup.archived")
        ).all()
        assert [json.loads(e.changes or "{}")["logs"]["shipped"] for e in events] == [1]
    assert REGISTRY.get_sample_value("oversight_archive_objects", {"kind": "audit"}) == 1

    with world.session() as session:  # nothing new: the audit archive is shipped only once
        again = archiving.run_archives(session, settings)
    assert again.logs is None
    assert again.audit is None

    later = utcnow() + timedelta(days=400)  # logs kept 365 days, audit 7 years
    with world.session() as session:
        expired = archiving.run_archives(session, settings, clock=lambda: later)
    assert expired.expired == [report.logs.object]
    assert expired.logs is not None  # meanwhile the recent log has cooled down: shipped now
    assert [m.name for m in expired.logs.members] == ["oversight.log.1"]
    assert [i.id for i in shipping.read_shelf(storage, set_name, "audit").indexes] == [
        report.audit.id
    ]
    much_later = utcnow() + timedelta(days=7 * 366 + 1)
    with world.session() as session:
        gone = archiving.run_archives(session, settings, clock=lambda: much_later)
    assert sorted(gone.expired) == sorted([report.audit.object, expired.logs.object])
    assert [info.name for info in storage.list_objects("_archives/")] == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_archives_go_to_an_sftp_target_and_a_missing_folder_is_one_clear_failure(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    sshd,
) -> None:
    contents = make_logs(world)
    folder = sshd.home / f"archives-{os.getpid()}-{time.monotonic_ns()}"
    folder.mkdir()
    settings = configure(
        world,
        monkeypatch,
        OVERSIGHT_BACKUP__TARGET__URL=sshd.url(folder),
        OVERSIGHT_BACKUP__TARGET__KEY_FILE=str(sshd.key_file),
        OVERSIGHT_BACKUP__TARGET__KNOWN_HOSTS=str(sshd.known_hosts),
    )
    with world.session() as session:
        report = archiving.run_archives(session, settings)
    assert report.logs is not None
    assert report.audit is None
    with open_storage(settings.backup.target) as storage:
        assert unpack(storage, report.logs, world) == {
            "oversight.log.2": contents["oversight.log.2"]
        }

    (world.root / "logs" / "oversight.log.2").write_bytes(b"late")
    old = time.time() - 40 * DAY
    os.utime(world.root / "logs" / "oversight.log.2", (old, old))
    monkeypatch.setenv("OVERSIGHT_BACKUP__TARGET__URL", sshd.url(folder / "gone"))
    get_settings.cache_clear()
    missing = load_settings(_env_file=None)
    with world.session() as session, pytest.raises(BackupError) as failure:
        archiving.run_archives(session, missing)
    assert "gone" in str(failure.value)
    assert "\n" not in str(failure.value)
    assert (world.root / "logs" / "oversight.log.2").read_bytes() == b"late"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cli_archive_prints_what_it_shipped_and_fails_in_one_line(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_logs(world)
    configure(world, monkeypatch)
    get_settings.cache_clear()
    result = runner.invoke(app, ["backup", "archive"])
    assert result.exit_code == 0, result.output
    assert "logs: shipped 1 file(s) to _archives/" in result.output
    assert "audit: nothing to ship" in result.output
    assert "removed 1 shipped log file(s) here" in result.output

    monkeypatch.setenv("OVERSIGHT_BACKUP__RECIPIENTS", "[]")
    get_settings.cache_clear()
    failed = runner.invoke(app, ["backup", "archive"])
    assert failed.exit_code == 1
    assert "Traceback" not in failed.output
    assert failed.output.strip().splitlines()[-1] == (
        "error: no age recipient configured: set OVERSIGHT_BACKUP__RECIPIENTS (public keys, age1…; "
        "make a key pair with `age-keygen -o backup-identity.txt` off this server)"
    )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_log_candidates_skip_the_live_file_and_hot_files(world: World, monkeypatch) -> None:
    make_logs(world)
    settings = configure(world, monkeypatch)
    now = datetime.now(UTC)
    assert [p.name for p in archiving.log_candidates(settings, now)] == ["oversight.log.2"]
    assert [p.name for p in archiving.log_candidates(settings, now + timedelta(days=30))] == [
        "oversight.log.2",
        "oversight.log.1",
    ]
    # The live file is never a candidate, however old.
    old = time.time() - 90 * DAY
    os.utime(world.root / "logs" / "oversight.log", (old, old))
    assert "oversight.log" not in [p.name for p in archiving.log_candidates(settings, now)]
