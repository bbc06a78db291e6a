"""A user error on the command line is one line on stderr and a non-zero exit, never a
traceback: here, output files that cannot be written, for each command that writes one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

OVERSIGHT = str(Path(sys.executable).parent / "oversight")


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("cli")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    env["OVERSIGHT_DATABASE__URL"] = f"sqlite:///{folder / 'oversight.db'}"
    subprocess.run([OVERSIGHT, "migrate"], env=env, check=True, capture_output=True)
    return env


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "export", "--out", "/proc/oversight/export.csv"],
        ["analytics", "chart", "margins", "--out", "/proc/oversight/margins.png"],
    ],
    ids=["audit-export", "analytics-chart"],
)
def test_an_unwritable_output_file_is_one_line(environment, argv):
    result = subprocess.run(
        [OVERSIGHT, *argv], env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"error: {argv[-1]}: No such file or directory"
    ], result.stderr
