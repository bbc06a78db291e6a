"""What every benchmark returns, and the one table `make bench` prints and writes.

A benchmark module exposes `rows(scale: Scale) -> list[Row]` (and may keep a `main()` of its
own for running it alone). Each Row is one comparison: our figure against a baseline measured
in the same run (interleaved, median of repetitions), or against an absolute objective when
there is no baseline side. `benchmarks/run.py` imports every module in `MODULES`, calls
`rows`, prints the table and writes `benchmarks/results.json` and `BENCHMARKS.md`.

To plug in a new benchmark: write `benchmarks/<name>_bench.py` with a `rows(scale)` that
returns `[ratio_row(...), absolute_row(...)]`, and add its module name to `run.MODULES`.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN_DIR = Path(sys.executable).parent
for path in (ROOT / "src", ROOT / "tests" / "support", HERE):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@dataclass(frozen=True)
class Scale:
    """How big a run is: `quick` (a proof that it works, seconds per benchmark) or the full
    run `make bench` does (figures worth writing down)."""

    quick: bool = False

    def pick(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    @classmethod
    def from_environment(cls) -> Scale:
        return cls(quick=os.environ.get("BENCH_QUICK", "") not in ("", "0"))


@dataclass(frozen=True)
class Row:
    """One line of the table.

    `figure`: ours; `baseline`: the same measure of the other side (None: an absolute goal).
    `ratio`: figure / baseline oriented so that higher is better for us when `higher_better`
    (throughputs), baseline / figure otherwise (times) — the table always reads "ours as a
    share of the baseline's speed". `goal` is on the ratio when there is a baseline, on the
    figure otherwise: (">=" | "<=", value).
    """

    benchmark: str
    figure: float
    unit: str
    goal_op: Literal[">=", "<="] | None
    goal: float | None
    baseline: float | None = None
    higher_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.figure == 0 or self.baseline == 0:
            return None
        return self.figure / self.baseline if self.higher_better else self.baseline / self.figure

    @property
    def met(self) -> bool | None:
        """None: a figure shown for context, with no goal of its own."""
        if self.goal is None:
            return None
        value = self.ratio if self.baseline is not None else self.figure
        if value is None:
            return False
        return value >= self.goal if self.goal_op == ">=" else value <= self.goal

    def as_dict(self) -> dict[str, object]:
        return asdict(self) | {"ratio": self.ratio, "met": self.met}


def ratio_row(benchmark: str, ours: float, baseline: float, unit: str, *,
              at_least: float | None, higher_better: bool = True, note: str = "") -> Row:  # fmt: skip
    """Ours against a baseline measured in the same run; goal: ratio >= `at_least` (None:
    shown for context)."""
    op: Literal[">="] | None = ">=" if at_least is not None else None
    return Row(benchmark, ours, unit, op, at_least, baseline, higher_better, note)


def absolute_row(benchmark: str, figure: float, unit: str, *, at_most: float | None = None,
                 at_least: float | None = None, note: str = "") -> Row:  # fmt: skip
    """A figure against an objective (a P95 under 3 s, a peak RSS under 150 MB); neither
    bound: shown for context."""
    if at_most is not None:
        return Row(benchmark, figure, unit, "<=", at_most, note=note)
    if at_least is not None:
        return Row(benchmark, figure, unit, ">=", at_least, note=note)
    return Row(benchmark, figure, unit, None, None, note=note)


def failed_row(benchmark: str, error: BaseException) -> Row:
    """A benchmark that could not run: short, with the reason."""
    return Row(benchmark, 0.0, "", ">=", 1.0, note=f"did not run: {type(error).__name__}: "
               f"{str(error).strip().splitlines()[-1][:160] if str(error).strip() else ''}")  # fmt: skip


def _number(value: float) -> str:
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def table_lines(rows: list[Row]) -> list[str]:
    """A Markdown table: benchmark, figure, baseline, ratio, goal, met/short, note."""
    lines = ["| benchmark | ours | baseline | ratio | goal | | note |",
             "|---|---:|---:|---:|---|---|---|"]  # fmt: skip
    for row in rows:
        ours = f"{_number(row.figure)} {row.unit}".strip()
        baseline = f"{_number(row.baseline)} {row.unit}" if row.baseline is not None else "—"
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else "—"
        on = "ratio" if row.baseline is not None else ""
        goal = f"{on} {row.goal_op} {_number(row.goal)}".strip() if row.goal is not None else "—"
        verdict = {True: "met", False: "short", None: "—"}[row.met]
        lines.append(f"| {row.benchmark} | {ours} | {baseline} | {ratio} | {goal} | {verdict} "
                     f"| {row.note} |")  # fmt: skip
    return lines


def print_rows(rows: list[Row]) -> None:
    print("\n".join(table_lines(rows)))


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except OSError:
        return "unknown"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def machine() -> dict[str, str]:
    """The machine the figures were measured on, and how busy it was."""
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as info:
        memory = next(line.split(":", 1)[1].strip() for line in info if line.startswith("MemTotal"))
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgresql": _first_line(["sh", "-c", "ls /usr/lib/postgresql | sort -V | tail -1"]),
        "redis": _first_line(["redis-server", "--version"]),
        "wrk": _first_line(["wrk", "--version"]),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


def write_results(rows: list[Row], described: dict[str, str], *, quick: bool,
                  extra: list[str] | None = None, modules: list[str] | None = None,
                  seconds: dict[str, float] | None = None) -> None:  # fmt: skip
    """benchmarks/results.json and BENCHMARKS.md (the table, the machine, any notes)."""
    if "load average at end" not in described:  # kept as measured when only rewriting
        described = described | {
            "load average at end": " ".join(f"{x:.2f}" for x in os.getloadavg())
        }
    (HERE / "results.json").write_text(json.dumps(
        {"machine": described, "quick": quick, "seconds": seconds or {},
         "rows": [row.as_dict() | {"module": module}
                  for row, module in zip(rows, modules or [""] * len(rows), strict=True)]},
        indent=2) + "\n")  # fmt: skip
    text = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`benchmarks/run.py`); every comparison runs both sides in the "
        "same run, interleaved, and reports medians. Ratios read as \"ours as a share of the "
        "baseline's speed\" (higher is better). Raw figures: `benchmarks/results.json`.",
        "",
        "Quick run (`BENCH_QUICK=1`): small data, short runs — proof that every benchmark works, "
        "not figures to hold us to." if quick else "Full run.",
        "",
        *table_lines(rows),
        "",
        "## Machine",
        "",
        *[f"- {key}: {value}" for key, value in described.items()],
        "",
        *(extra or []),
    ]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(text).rstrip() + "\n")
