"""The storage monitor: a snapshot per watched path and day (SFTP against the real sshd, and
a local folder), the gauges, and `oversight storage report` as a person reads it."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from oversight.backup import storage_monitor
from oversight.cli import app
from oversight.config import MonitoredPath, StorageMonitorSettings, get_settings
from oversight.observability.metrics import REGISTRY
from oversight.storage import ObjectInfo
from oversight.storage_monitor.models import StorageSnapshot

from .conftest import World

runner = CliRunner()
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def plant(root: Path, files: dict[str, tuple[int, datetime]]) -> None:
    for name, (size, modified) in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)
        os.utime(path, (modified.timestamp(), modified.timestamp()))


def gauge(name: str, path: str) -> float | None:
    return REGISTRY.get_sample_value(name, {"path": path})


def test_summarise_counts_folders_dates_and_backlog() -> None:
    objects = [
        ObjectInfo("a.txt", 10, NOW - timedelta(hours=1)),
        ObjectInfo("scans/b.pdf", 200, NOW - timedelta(days=3)),
        ObjectInfo("scans/2026/c.pdf", 30, NOW - timedelta(minutes=5)),
    ]
    listing = storage_monitor.summarise(objects, now=NOW, backlog_after=timedelta(days=1))
    assert (listing.files, listing.bytes, listing.backlog_files) == (3, 240, 1)
    assert listing.folders == {".": 1, "scans": 2}
    assert listing.newest is not None
    assert listing.newest.name == "scans/2026/c.pdf"
    assert listing.oldest is not None
    assert listing.oldest.name == "scans/b.pdf"
    empty = storage_monitor.summarise([], now=NOW, backlog_after=None)
    assert (empty.files, empty.bytes, empty.backlog_files, empty.newest) == (0, 0, None, None)


def test_scan_keeps_one_snapshot_per_path_and_day_and_exports_gauges(
    session,
    settings,
    sshd,
    tmp_path,
) -> None:
    remote = sshd.home / f"monitor-{time.monotonic_ns()}"
    local = tmp_path / "local"
    plant(remote, {"incoming/a.pdf": (100, NOW - timedelta(days=3)),
                   "incoming/b.pdf": (50, NOW - timedelta(hours=2)),
                   "done/c.pdf": (7, NOW - timedelta(days=10))})  # fmt: skip
    plant(local, {"x.bin": (1000, NOW - timedelta(days=1))})
    ssh = {"key_file": sshd.key_file, "known_hosts": sshd.known_hosts, "timeout_seconds": 10.0}
    watched = StorageMonitorSettings(
        include_backup_target=False,
        paths=(
            MonitoredPath(name="cpanel", url=sshd.url(remote), backlog_after_hours=24, **ssh),
            MonitoredPath(name="local", url=str(local)),
            MonitoredPath(name="gone", url=sshd.url(remote / "absent"), retries=0, **ssh),
        ),
    )
    monitored = settings.model_copy(update={"storage_monitor": watched})

    results = storage_monitor.scan(session, monitored, clock=lambda: NOW)
    assert {r.path: r.error is None for r in results} == {
        "cpanel": True,
        "local": True,
        "gone": False,
    }
    row = session.scalars(select(StorageSnapshot).where(StorageSnapshot.path == "cpanel")).one()
    assert (row.files, row.bytes, row.backlog_files) == (3, 157, 2)
    assert row.folders == {"done": 1, "incoming": 2}
    assert (row.newest_name, row.oldest_name) == ("incoming/b.pdf", "done/c.pdf")
    assert row.oldest_at == NOW - timedelta(days=10)
    assert gauge("oversight_storage_files", "cpanel") == 3
    assert gauge("oversight_storage_bytes", "local") == 1000
    assert gauge("oversight_storage_backlog_files", "cpanel") == 2
    assert gauge("oversight_storage_backlog_files", "local") is None  # no threshold set
    assert (gauge("oversight_storage_scan_failures_total", "gone") or 0) >= 1

    plant(remote, {"incoming/d.pdf": (3, NOW)})
    storage_monitor.scan(session, monitored, clock=lambda: NOW + timedelta(hours=1))
    storage_monitor.scan(session, monitored, clock=lambda: NOW + timedelta(days=1))
    per_path = dict(
        session.execute(
            select(StorageSnapshot.path, func.count()).group_by(StorageSnapshot.path)
        ).all()
    )
    assert per_path == {"cpanel": 2, "local": 2}  # the same day's rescan replaced its row
    trend = storage_monitor.trend(session, days=7, today=(NOW + timedelta(days=1)).date())
    assert [s.files for s in trend["cpanel"]] == [4, 4]
    assert [s.day.isoformat() for s in trend["local"]] == ["2026-11-30", "2026-12-01"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_report_shows_the_trend_per_path_in_a_table(
    world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    watched = tmp_path / "watched"
    plant(watched, {"scans/a.pdf": (1500, NOW)})
    monkeypatch.setenv(
        "OVERSIGHT_STORAGE_MONITOR__PATHS", f'[{{"name": "scans", "url": "{watched}"}}]'
    )
    get_settings.cache_clear()
    scanned = runner.invoke(app, ["storage", "scan"])
    assert scanned.exit_code == 0, scanned.output
    assert "scans: 1 files, 1.5 KB" in scanned.output
    assert REGISTRY.get_sample_value("oversight_storage_backlog_files", {"path": "backups"}) == 0
    assert "backups: 0 files, 0 B" in scanned.output

    report = runner.invoke(app, ["storage", "report", "--days", "7"])
    assert report.exit_code == 0, report.output
    print(report.output)
    assert "scans — last 7 days" in report.output
    assert "backups — last 7 days" in report.output
    assert "scans 1" in report.output  # files per sub-folder
    assert "1.5 KB" in report.output

    missing = runner.invoke(app, ["storage", "report", "--path", "nope"])
    assert missing.exit_code == 1
    assert missing.output.strip().splitlines()[-1] == (
        "error: no snapshot of path 'nope' in the last 14 days (run `oversight storage scan`)"
    )
