"""`oversight files status | previews | move`, run as the operator runs them."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent / "oversight"


@pytest.fixture
def run(tmp_path):  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    env |= {
        "OVERSIGHT_DATABASE__URL": f"sqlite:///{tmp_path / 'o.db'}",
        "OVERSIGHT_FILES__HOT_DIR": str(tmp_path / "hot"),
        "PYTHONPATH": str(Path(__file__).parents[2] / "src"),
    }

    def call(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(BIN), *args], env=env | extra, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, check=False)  # fmt: skip

    assert call("migrate").returncode == 0
    return call


def test_move_without_a_cold_tier_is_one_line_exit_2(run):
    result = run("files", "move")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: no cold tier: set OVERSIGHT_FILES__COLD__URL"


def test_status_previews_and_move(run, tmp_path):
    import sqlite3

    body = b"%PDF-1.4 not really rendered"
    sha = hashlib.sha256(body).hexdigest()
    (tmp_path / "hot" / sha[:2]).mkdir(parents=True)
    (tmp_path / "hot" / sha[:2] / sha).write_bytes(body)
    with sqlite3.connect(tmp_path / "o.db") as db:
        db.execute(
            "INSERT INTO file_blobs (sha256, size, content_type, created_at, tier, move_failures,"
            " preview_state) VALUES (?, ?, 'application/pdf', '2020-01-01 00:00:00.000000',"
            " 'hot', 0, 'pending')",
            (sha, len(body)),
        )
    cold = {"OVERSIGHT_FILES__COLD__URL": str(tmp_path / "cold")}
    status = run("files", "status", **cold)
    assert "files due to move: 1" in status.stdout
    assert "previews pending: 1" in status.stdout
    previews = run("files", "previews")
    assert previews.returncode == 0
    assert "marked unavailable: 1" in previews.stdout
    moved = run("files", "move", **cold)
    assert moved.returncode == 0, moved.stderr
    assert moved.stdout.strip() == "moved: 1, failed: 0"
    assert (tmp_path / "cold" / sha[:2] / sha).read_bytes() == body
    assert not (tmp_path / "hot" / sha[:2] / sha).exists()
    assert "files due to move: 0" in run("files", "status", **cold).stdout
