"""The layer contracts of pyproject.toml hold, and each of them can fail.

Each failing case copies the source tree and the configuration to a scratch folder, makes
one forbidden change there, and runs `lint-imports` on the copy: the contract must report
it. So a contract that silently stopped checking anything would be caught here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
LAYERS = "Top-level packages: each layer imports only the layers below it"
ACYCLIC = "No import cycles between sibling packages or modules, at any depth"


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """A copy of the package and its import contracts."""
    shutil.copytree(
        ROOT / "src" / "oversight",
        tmp_path / "src" / "oversight",
        ignore=shutil.ignore_patterns("__pycache__", "*.gz", "data", "versions"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _verdict(output: str, contract: str) -> str:
    for line in output.splitlines():
        if line.startswith(contract):
            return "KEPT" if " KEPT" in line else "BROKEN"
    raise AssertionError(f"contract {contract!r} not in the output:\n{output}")


def test_the_tree_keeps_every_contract(scratch: Path) -> None:
    result = _lint_imports(scratch)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _verdict(result.stdout, LAYERS) == "KEPT"
    assert _verdict(result.stdout, ACYCLIC) == "KEPT"


def _new_unplaced_package(src: Path) -> None:
    (src / "newthing").mkdir()
    (src / "newthing" / "__init__.py").write_text("")


def _foundation_imports_a_domain(src: Path) -> None:
    (src / "observability" / "leak.py").write_text(
        "from oversight.invoices.models import Invoice\n\n__all__ = ['Invoice']\n"
    )


def _two_modules_import_each_other(src: Path) -> None:
    # Inside one package: the layers contract cannot see it, the acyclic one must.
    (src / "kit" / "cycle_a.py").write_text("from oversight.kit import cycle_b\n")
    (src / "kit" / "cycle_b.py").write_text("from oversight.kit import cycle_a\n")


def _stale_exception(src: Path) -> None:
    # A listed exception whose import is gone must be removed from the list too.
    commands = src / "edge" / "commands.py"
    text = commands.read_text()
    assert "from oversight.auth.repository import find_by_username" in text
    commands.write_text(
        text.replace(
            "from oversight.auth.repository import find_by_username",
            "find_by_username = None",
        )
    )


@pytest.mark.parametrize(
    ("change", "contract", "says"),
    [
        (_new_unplaced_package, LAYERS, "oversight.newthing"),
        (_foundation_imports_a_domain, LAYERS, "oversight.observability.leak"),
        (_two_modules_import_each_other, ACYCLIC, "kit"),
        (_stale_exception, LAYERS, "oversight.edge.commands -> oversight.auth.repository"),
    ],
    ids=["unplaced-package", "upward-import", "module-cycle", "stale-exception"],
)
def test_a_forbidden_change_breaks_the_contract(
    scratch: Path, change: Callable[[Path], None], contract: str, says: str
) -> None:
    change(scratch / "src" / "oversight")
    result = _lint_imports(scratch)
    output = " ".join((result.stdout + result.stderr).split())  # unwrap the report's lines
    assert result.returncode != 0, output
    assert says in output, output
    if "No matches for ignored import" not in output:
        assert _verdict(result.stdout, contract) == "BROKEN", output
