"""The SFTP remote becomes unreachable in the middle of a backup (every connection is cut
partway, for real, by a TCP proxy): the upload is retried with back-off, the run fails with
one line, a metric and a log line; the encrypted copy stays staged, and once the network
heals the next run uploads it and its own. The audit trail verifies afterwards."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import storage_servers
from dropping_proxy import dropping_proxy
from oversight.backup import service
from oversight.backup.errors import BackupError
from oversight.backup.manifest import catalogue
from oversight.config.storage import StorageTarget
from oversight.observability.metrics import REGISTRY
from oversight.storage import open_storage

from .conftest import World

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def sshd() -> Iterator[storage_servers.SshServer]:
    with storage_servers.sshd_server() as server:
        yield server


@pytest.fixture
def sqlite_only(backend: str) -> None:
    """Past the dump the engine plays no part (skipped before the world is built)."""
    if backend != "sqlite":
        pytest.skip("past the dump the engine plays no part; the SQLite run covers it")


def failures() -> float:
    labels = {"operation": "run", "reason": "error"}
    return REGISTRY.get_sample_value("oversight_backup_failures_total", labels) or 0.0


@pytest.mark.resilience
def test_a_remote_cut_mid_backup_is_retried_keeps_the_staged_copy_and_the_next_run_completes(
    sqlite_only, world: World, sshd, json_logs
):
    root = sshd.home / f"backups-{random.randrange(10**9)}"
    root.mkdir()
    # Past the SSH handshake and sign-in (a few KB), every connection is cut mid-upload.
    with dropping_proxy(sshd.port, after_bytes=40_000, drops=1000) as proxy:
        target = StorageTarget(url=f"sftp://{sshd.user}@127.0.0.1:{proxy.port}{root}",
                               key_file=sshd.key_file, host_key=sshd.host_key_line,
                               retries=0, timeout_seconds=10)  # fmt: skip
        backup = world.settings.backup.model_copy(
            update={"target": target, "upload_attempts": 3, "upload_backoff_seconds": 0.05}
        )
        settings = world.settings.model_copy(update={"backup": backup})
        before = failures()
        json_logs()
        with world.session() as session, pytest.raises(BackupError) as failure:
            service.run(session, settings)
        assert proxy.dropped >= 3
        assert "\n" not in str(failure.value)
        retries = [line for line in json_logs() if line.get("action") == "backup_upload_retry"]
        assert [r["attempt"] for r in retries] == [1, 2]
        assert failures() == before + 1
        staged = sorted(p.name for p in backup.staging_dir.iterdir() if p.name != ".backup.lock")
        assert len(staged) == 2
        assert staged[0].endswith(".age")
        with open_storage(target.model_copy(update={"url": sshd.url(root)})) as storage:
            assert [e for e in catalogue(storage, "x") if e.verified] == []

        proxy.drops_left = 0  # the network heals
        with world.session() as session:
            outcome = service.run(session, settings)
    assert len(outcome.uploaded_pending) == 1
    assert [p.name for p in backup.staging_dir.iterdir() if p.name != ".backup.lock"] == []
    verify = subprocess.run(
        [sys.executable, "-c", "from oversight.cli import main; main()", "audit", "verify"],
        env={**os.environ, "PYTHONPATH": str(SRC)}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
