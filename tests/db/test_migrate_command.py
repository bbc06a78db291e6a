"""`oversight migrate --to REV`: the rollback path OPERATIONS.md's upgrade runbook names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from oversight.db.migrate import revisions

OVERSIGHT = str(Path(sys.executable).parent / "oversight")


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    env["OVERSIGHT_DATABASE__URL"] = f"sqlite:///{tmp_path / 'oversight.db'}"
    return subprocess.run(
        [OVERSIGHT, "migrate", *args], env=env, cwd=tmp_path, capture_output=True, text=True,
        check=False,
    )  # fmt: skip


def test_migrate_to_rolls_back_refuses_unknown_revisions_in_one_line_and_goes_forward(tmp_path):
    known = revisions()
    assert run(tmp_path).stdout.strip() == f"database at revision {known[-1]}"
    back = run(tmp_path, "--to", known[-2])
    assert back.returncode == 0, back.stderr
    assert back.stdout.strip() == f"database at revision {known[-2]}"
    unknown = run(tmp_path, "--to", "9999")
    assert unknown.returncode == 2
    assert len(unknown.stderr.strip().splitlines()) == 1
    assert "no migration '9999'; known revisions: 0001" in unknown.stderr
    assert run(tmp_path).stdout.strip() == f"database at revision {known[-1]}"
