"""The written layout tells the truth: every top-level package and module of `oversight`
is named in README's "Layout" and in ARCHITECTURE.md's layer map, and both name nothing that
does not exist."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "oversight"


def _top_level() -> set[str]:
    names = set()
    for entry in PACKAGE.iterdir():
        if entry.is_dir() and (entry / "__init__.py").exists():
            names.add(entry.name)
        elif entry.suffix == ".py" and entry.name != "__init__.py":
            names.add(entry.stem)
    return names


def _code_block(markdown: str, heading: str) -> str:
    section = markdown.split(heading, 1)[1]
    return section.split("```", 2)[1]


def _named_in_layout(block: str) -> set[str]:
    """Names at the start of the lines of the `src/oversight/` tree (`x/`, `x.py`, `a/ b/`)."""
    tree = block.split("src/oversight/", 1)[1].split("\ntests/", 1)[0]
    names: set[str] = set()
    for line in tree.splitlines():
        for token in line.split():
            match = re.fullmatch(r"([a-z_]+)(/|\.py)", token)
            if match is None:
                break
            names.add(match.group(1))
    return names


def _named_in_layer_map(block: str) -> set[str]:
    names: set[str] = set()
    for line in block.strip().splitlines():
        layer = re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]
        names.update(part.strip() for part in layer.split("|"))
    return names


def test_readme_layout_names_exactly_the_top_level_packages() -> None:
    block = _code_block((ROOT / "README.md").read_text(), "## Layout\n")
    assert _named_in_layout(block) == _top_level()


def test_architecture_layer_map_names_exactly_the_top_level_packages() -> None:
    block = _code_block((ROOT / "ARCHITECTURE.md").read_text(), "## The layer map")
    assert _named_in_layer_map(block) == _top_level()


def test_the_layer_map_is_the_one_lint_imports_checks() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    (contract,) = (
        c for c in config["tool"]["importlinter"]["contracts"] if c.get("id") == "layers"
    )
    block = _code_block((ROOT / "ARCHITECTURE.md").read_text(), "## The layer map")
    documented = [
        re.split(r"\s{2,}", line.strip(), maxsplit=1)[0] for line in block.strip().splitlines()
    ]
    assert documented == contract["layers"]
    assert contract["exhaustive"] is True
