"""SIGKILL at each step boundary (BACKUPS.md 11, 14): nothing that looks complete is left,
the local staged copy survives once it is complete, and the next run cleans up and succeeds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from oversight.backup.making import CRASH_ENV
from oversight.backup.manifest import catalogue
from oversight.backup.service import set_name

from .conftest import World

SRC = Path(__file__).resolve().parents[2] / "src"


def oversight(*args: str, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop(CRASH_ENV, None)
    if crash_at:
        env[CRASH_ENV] = crash_at
    code = "from oversight.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


def remote_names(world: World) -> list[str]:
    if not world.storage_dir.exists():
        return []
    return sorted(p.relative_to(world.storage_dir).as_posix()
                  for p in world.storage_dir.rglob("*") if p.is_file())  # fmt: skip


def staged(world: World) -> list[str]:
    staging = world.settings.backup.staging_dir
    return (
        sorted(p.name for p in staging.iterdir() if p.name != ".backup.lock")
        if staging.exists()
        else []
    )


@pytest.mark.parametrize("step", ["after_dump", "mid_encrypt", "after_encrypt", "mid_upload",
                                  "before_manifest"])  # fmt: skip
@pytest.mark.resilience
def test_a_run_killed_at_a_step_leaves_nothing_complete_and_the_next_run_recovers(
    world, backend, step
):
    if backend == "postgresql" and step not in ("after_dump", "mid_encrypt"):
        pytest.skip("past the dump the engine plays no part; the SQLite run covers this step")
    backup_set = set_name(world.settings, world.engine)
    crashed = oversight("backup", "run", crash_at=step)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    assert [e for e in catalogue(world.storage, backup_set) if e.verified] == []
    assert not any(name.endswith(".manifest.json") for name in remote_names(world))
    left = staged(world)
    if step in ("after_encrypt", "mid_upload", "before_manifest"):
        # Complete and encrypted: kept until it is uploaded.
        assert len(left) == 2
        assert left[0].endswith(".age")
        assert left[1].endswith(".manifest.json")
    else:
        assert all(name.endswith(".partial") or name.startswith("sqlite-copy") for name in left)

    again = oversight("backup", "run")
    assert again.returncode == 0, again.stderr
    entries = catalogue(world.storage, backup_set)
    assert all(e.verified for e in entries)
    assert len(entries) == (2 if step in ("after_encrypt", "mid_upload", "before_manifest") else 1)
    assert staged(world) == []
    assert all(n.endswith((".age", ".manifest.json")) for n in remote_names(world))
