# ruff: noqa: S603 - runs this checkout's own benchmark modules
"""`make bench`: every benchmark in MODULES, one table, benchmarks/results.json, BENCHMARKS.md.

Each module runs in a process of its own (its servers, its metrics registry, its memory
figures stay its own) and hands back its rows as JSON. A module that fails gives one "short"
row naming why, and the others still run.

    python benchmarks/run.py                 # everything, full size
    BENCH_QUICK=1 python benchmarks/run.py   # small data, short runs: proves each one works
    python benchmarks/run.py load_bench      # only these modules
    python benchmarks/run.py --rewrite       # BENCHMARKS.md from results.json and NOTES.md
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from common import HERE, ROOT, Row, Scale, failed_row, machine, print_rows, write_results

# The order of the table. A new benchmark: a module here with `rows(scale) -> list[Row]`.
MODULES = [
    "bench_http",
    "edge_bench",
    "request_bench",
    "audit_bench",
    "files_bench",
    "backup_bench",
    "analytics_bench",
    "load_bench",
]

ONE = """
import json, sys
sys.path.insert(0, {here!r})
import common
module = __import__({name!r})
rows = module.rows(common.Scale.from_environment())
print("\\nROWS " + json.dumps([row.as_dict() for row in rows]))
"""


def run_module(name: str) -> tuple[list[Row], float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", ONE.format(here=str(HERE), name=name)],
                          cwd=ROOT, capture_output=True, text=True, check=False)  # fmt: skip
    elapsed = time.monotonic() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith("ROWS ")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        return [failed_row(name, RuntimeError(tail[0]))], elapsed
    fields = {"benchmark", "figure", "unit", "goal_op", "goal", "baseline", "higher_better",
              "note"}  # fmt: skip
    rows = [Row(**{k: v for k, v in row.items() if k in fields})
            for row in json.loads(lines[-1][5:])]  # fmt: skip
    return rows, elapsed


def previous_rows() -> dict[str, list[Row]]:
    """The last run's rows by module (a run of some modules keeps the others' rows)."""
    try:
        saved = json.loads((HERE / "results.json").read_text())
    except (OSError, ValueError):
        return {}
    fields = {"benchmark", "figure", "unit", "goal_op", "goal", "baseline", "higher_better",
              "note"}  # fmt: skip
    by_module: dict[str, list[Row]] = {}
    for row in saved.get("rows", []):
        module = row.get("module")
        if module:
            by_module.setdefault(module, []).append(
                Row(**{k: v for k, v in row.items() if k in fields})
            )
    return by_module


def previous_seconds() -> dict[str, float]:
    """The last run's time per module (a run of some modules keeps the others' times)."""
    try:
        saved = json.loads((HERE / "results.json").read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): float(v) for k, v in saved.get("seconds", {}).items()}


def main(argv: list[str]) -> int:
    scale = Scale.from_environment()
    described = machine()
    rewrite = argv == ["--rewrite"]
    if rewrite:  # BENCHMARKS.md again from results.json (after editing NOTES.md), no run
        saved = json.loads((HERE / "results.json").read_text())
        described = saved["machine"]
        scale = Scale(quick=saved["quick"])
    chosen = [] if rewrite else argv or MODULES
    by_module = previous_rows() if argv else {}
    seconds = previous_seconds() if argv else {}
    for name in chosen:
        print(f"... {name}", flush=True)
        got, elapsed = run_module(name)
        by_module[name] = got
        seconds[name] = elapsed
    order = [*MODULES, *(name for name in by_module if name not in MODULES)]
    modules = [(name, row) for name in order for row in by_module.get(name, [])]
    rows = [row for _, row in modules]
    print_rows(rows)
    timings = [f"- {name}: {seconds[name]:.0f} s" for name in order if name in seconds]
    extra = ["## Time per benchmark", "", *timings]
    notes = HERE / "NOTES.md"
    if notes.exists():
        extra += ["", notes.read_text().strip()]
    write_results(rows, described, quick=scale.quick, extra=extra,
                  modules=[name for name, _ in modules], seconds=seconds)  # fmt: skip
    print(f"\nwritten: {HERE / 'results.json'}, {ROOT / 'BENCHMARKS.md'}")
    return 0 if all(row.met is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
