"""No key file or secrets directory is tracked in the repository, wherever a test left one."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_no_key_or_secrets_directory_is_tracked():
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    leaked = [
        path for path in tracked if path.endswith(".key") or "secrets" in path.split("/")[:-1]
    ]
    assert leaked == []
