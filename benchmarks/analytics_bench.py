"""Analytics speed on large PostgreSQL databases (not part of `make test`).

    python benchmarks/run.py analytics_bench        # builds (or reuses) the databases itself
    OVERSIGHT_DATABASE__URL=postgresql://... python benchmarks/analytics_bench.py [--month 2026-06]

`rows` measures the director's full summary for one month on two demo companies with the
same month shape (about 33k requests a month) and different history lengths: 100k requests
over 3 months and 1M over 30 (quick run: 3k over 3 and 30k over 30). For each: cold
(computed, cache empty), the lower bound (one hand-written SQL statement computing the same
scalar figures from the period's rows and the open snapshots only, each through its index),
and warm (served from the in-process cache); then the growth of cold from the short history
to the long one, and where one cold summary spends its time (each SQL statement, the Python
time outside SQL, and any statement whose plan scans a whole history table).

Building 1M demo requests takes 10-15 minutes on two cores, so each generated database is
kept as a `pg_dump` under `var/bench/` (gitignored), keyed by the generator's arguments, the
demo generator's source and the migrations; a later run restores it (about a minute) and
builds anew only when one of those changed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from common import BIN_DIR, ROOT, Row, Scale, print_rows, ratio_row
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, event, text

from oversight.analytics import service
from oversight.analytics.cache import MemoryCache
from oversight.config import get_settings
from oversight.db.session import session_factory
from oversight.kit.memory import freeze_startup_heap
from oversight.wiring import open_database

# The lower bound reads what the summary must read and nothing more: the open requests (a
# snapshot, through the status index), the month's rows through their date indexes (closed,
# responded, created; invoices issued and paid; the month's work logs joined to the requests
# between the lowest and highest key they name) and the open invoices (issued, unpaid: the
# overdue snapshot). Each part is one indexed pass; nothing reads history outside the period.
LOWER_BOUND_SQL = """
WITH o AS (
  SELECT count(*) AS open, sum(extract(epoch FROM created_at)) AS open_age,
    count(*) FILTER (WHERE coalesce(sla_paused_at, :now) > resolution_due_at) AS past_due
  FROM service_requests WHERE status IN ('new','assigned','in_progress','awaiting_approval')
), c AS (
  SELECT count(*) AS closed, count(*) FILTER (WHERE closed_at <= resolution_due_at) AS on_time,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at))
      AS p90,
    sum(revision_count) AS revisions
  FROM service_requests WHERE status = 'closed' AND closed_at >= :s AND closed_at < :e
), f AS (
  SELECT count(*) AS responded FROM service_requests
  WHERE first_response_at >= :s AND first_response_at < :e
), n AS (
  SELECT count(*) AS created, count(DISTINCT assigned_engineer_id) AS engineers
  FROM service_requests WHERE created_at >= :s AND created_at < :e
), ii AS (
  SELECT sum(amount) AS issued FROM invoices
  WHERE status IN ('issued','paid') AND issued_on BETWEEN :ds AND :de
), ip AS (
  SELECT sum(amount) AS paid FROM invoices WHERE status = 'paid' AND paid_on BETWEEN :ds AND :de
), io AS (
  SELECT sum(amount) AS overdue, count(DISTINCT customer_id) AS overdue_clients
  FROM invoices WHERE status = 'issued' AND due_on < :today
), g AS (
  SELECT request_id, sum(hours) AS hours FROM work_logs
  WHERE work_date BETWEEN :ds AND :de GROUP BY request_id
), w AS (
  SELECT sum(g.hours) AS hours, count(DISTINCT r.project_id) AS projects
  FROM g JOIN service_requests r ON r.id = g.request_id
  WHERE r.id BETWEEN (SELECT min(request_id) FROM g) AND (SELECT max(request_id) FROM g)
)
SELECT * FROM o, c, f, n, ii, ip, io, w
"""

# Tables whose whole history a summary statement must never scan (the small ones, users,
# customers, projects, may be read whole).
HISTORY_TABLES = ("service_requests", "work_logs", "completion_approvals", "invoices",
                  "project_costs")  # fmt: skip

# The demo history ends on a fixed day (the end of a month), so a cached database stays
# valid and the measured month is complete.
HISTORY_END = "2026-11-30"
CACHE_DIR = ROOT / "var" / "bench"
# The development keys the cached databases were generated with travel with them: a dump
# restored under another checkout's keys would not decrypt its contact details.
STATE_DIR = CACHE_DIR / "state"


@dataclass(frozen=True)
class Company:
    """One demo company: `requests` over `months` (about the same requests per month)."""

    requests: int
    months: int

    @property
    def label(self) -> str:
        return f"{self.requests // 1000}k" if self.requests < 1_000_000 else (
            f"{self.requests // 1_000_000}M")  # fmt: skip

    def demo_argv(self) -> list[str]:
        # projects in proportion to the requests of a month (most projects run for most of
        # the history), so a month of either company holds about as many of them
        projects = max(20, self.requests // self.months // 33)
        return ["demo-data", "--requests", str(self.requests), "--projects", str(projects),
                "--months", str(self.months), "--end", HISTORY_END]  # fmt: skip


@dataclass(frozen=True)
class Measured:
    month: str
    closed: int
    cold_ms: float
    bound_ms: float
    warm_ms: float
    full_scans: list[str]
    note: str


def _timed(function: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--month", default=None, help="YYYY-MM (default: the latest data month)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    got = measure(args.month, args.repeat)
    print_rows([
        ratio_row("analytics summary cold vs one SQL pass", got.cold_ms, got.bound_ms, "ms",
                  at_least=0.5, higher_better=False, note=got.note),
        ratio_row("analytics summary warm (cache) vs cold", got.warm_ms, got.cold_ms, "ms",
                  at_least=100, higher_better=False, note=got.note),
    ])  # fmt: skip


def _cache_key(company: Company) -> str:
    """What the generated database depends on: the generator's arguments and source, and the
    schema (the migrations)."""
    digest = hashlib.sha256(json.dumps(company.demo_argv()).encode())
    sources = sorted((ROOT / "src" / "oversight" / "demo").glob("*.py"))
    sources += sorted((ROOT / "src" / "oversight" / "migrations" / "versions").glob("*.py"))
    for path in sources:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _run(argv: list[str], env: dict[str, str] | None = None) -> None:
    subprocess.run(argv, env=env, check=True, capture_output=True)  # noqa: S603 - our own tools


def _build(pg: Any, database: str, company: Company, console: Console) -> str:
    """Create `database` holding `company`: restored from var/bench/ when a dump for this key
    exists, else generated (and dumped for the next run); then migrated to this checkout's
    head either way. Returns how it was made."""
    pg.create_database(database)
    url = pg.url(database)
    # this checkout's code, not whatever `oversight` the environment has installed
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
    path = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    env |= {"OVERSIGHT_DATABASE__URL": url, "OVERSIGHT_ENV": "test", "PYTHONPATH": path,
            "OVERSIGHT_STATE_DIR": str(STATE_DIR)}
    oversight = str(BIN_DIR / "oversight")
    dump = CACHE_DIR / f"analytics-{company.requests}-{_cache_key(company)}.dump"
    started = time.monotonic()
    if dump.exists():
        _run([str(pg.bin("pg_restore")), "--no-owner", "-j", "2", "-d",
              pg.url(database, driver="postgresql"), str(dump)])  # fmt: skip
        how = f"restored from {dump.relative_to(ROOT)}"
    else:
        for argv in (["migrate"], company.demo_argv()):
            _run([oversight, *argv], env=env)
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        for stale in CACHE_DIR.glob(f"analytics-{company.requests}-*.dump"):
            stale.unlink()
        partial = dump.with_suffix(".partial")
        _run([str(pg.bin("pg_dump")), "-Fc", "-f", str(partial),
              pg.url(database, driver="postgresql")])  # fmt: skip
        partial.rename(dump)
        how = "generated"
    _run([oversight, "migrate"], env=env)
    # as a database in service: statistics and visibility map up to date (autovacuum's work)
    _run([str(pg.bin("psql")), "-q", "-c", "VACUUM ANALYZE", pg.url(database, driver="postgresql")])
    how += f" in {time.monotonic() - started:.0f} s"
    console.print(f"{company.requests:,} requests over {company.months} months: {how}")
    return how


def rows(scale: Scale) -> list[Row]:
    """Builds its own data: a PostgreSQL started here, two demo companies (see the module)."""
    import servers

    small = Company(scale.pick(100_000, 3_000), 3)
    large = Company(scale.pick(1_000_000, 30_000), 30)
    console = Console()
    saved = {k: v for k, v in os.environ.items() if k.startswith("OVERSIGHT_")}
    with servers.postgres_server() as pg:
        # The test servers keep 16 MB of shared buffers; a database in service has more (a
        # month's KPI indexes of the 1M company are ~40 MB): 256 MB, as a small VPS would.
        with (pg.data_dir / "postgresql.auto.conf").open("a") as config:
            config.write("shared_buffers = '256MB'\nwork_mem = '16MB'\n")
        pg.stop()
        pg.start()
        try:
            built = [(f"bench{i}", company, _build(pg, f"bench{i}", company, console))
                     for i, company in enumerate((small, large))]  # fmt: skip
            targets: list[Target] = []
            for database, company, how in built:
                os.environ.update({"OVERSIGHT_DATABASE__URL": pg.url(database),
                                   "OVERSIGHT_ENV": "test",
                                   "OVERSIGHT_STATE_DIR": str(STATE_DIR)})  # fmt: skip
                get_settings.cache_clear()
                # the long history's month: the one as busy as the short history's latest
                # month (the demo company grows), so only the history's length differs
                month = _matching_month(targets[0].closed) if targets else None
                targets.append(prepare(month, f"{company.requests:,} requests over "
                                       f"{company.months} months ({how})"))  # fmt: skip
            results = dict(zip((small, large), measure_all(targets, scale.pick(9, 3)),
                               strict=True))  # fmt: skip
        finally:
            for key in [k for k in os.environ if k.startswith("OVERSIGHT_")]:
                del os.environ[key]
            os.environ.update(saved)
            get_settings.cache_clear()
    out: list[Row] = []
    for company, got in results.items():
        name = f"analytics summary cold vs one SQL pass, {company.label}"
        out.append(ratio_row(name, got.cold_ms, got.bound_ms, "ms", at_least=0.5,
                             higher_better=False, note=got.note))  # fmt: skip
    a, b = results[small], results[large]
    # Goal: cold on the long history at most 1.2x cold on the short one (ratio >= 1/1.2).
    out.append(ratio_row(f"analytics summary cold growth {small.label} -> {large.label}",
                         b.cold_ms, a.cold_ms, "ms", at_least=round(1 / 1.2, 3),
                         higher_better=False,
                         note=f"goal: {large.label} at most 1.2x {small.label}"))  # fmt: skip
    for company, got in results.items():
        # Goal: warm at least 100x faster than cold (a ratio of times: cold / warm).
        out.append(ratio_row(f"analytics summary warm (cache) vs cold, {company.label}",
                             got.warm_ms, got.cold_ms, "ms", at_least=100,
                             higher_better=False, note=got.note))  # fmt: skip
    # On the long history only: with 3 months, a month is a third of the history and the
    # planner may rightly prefer a sequential scan of a small table.
    scans = b.full_scans
    out.append(Row(f"analytics summary statements scanning a whole history table, {large.label}",
                   float(len(scans)), "", "<=", 0.0,
                   note="; ".join(scans)[:300] or "every statement reads its period or the "
                   "open rows through an index"))  # fmt: skip
    return out


@dataclass
class Target:
    """One database's summary, ready to time: cold, the lower bound, warm."""

    engine: Engine
    start: date
    closed: int
    title: str
    note: str
    cold: Callable[[], None]
    lower_bound: Callable[[], None]
    warm: Callable[[], None]


def prepare(month: str | None, note: str = "") -> Target:
    """The summary of `month` (default: the latest data month) on the configured database."""
    settings = get_settings()
    engine = open_database(settings)
    sessions = session_factory(engine)
    with sessions() as session:
        if month:
            year, number = (int(x) for x in month.split("-"))
            start = date(year, number, 1)
        else:
            last = session.execute(text("SELECT max(closed_at) FROM service_requests")).scalar()
            start = last.date().replace(day=1)
        counts = {
            table: session.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            for table in ("service_requests", "invoices", "work_logs", "completion_approvals")
        }
    as_of = datetime.combine(start, datetime.min.time(), UTC).replace(day=28)
    params = service.make_params(settings, start=start, as_of=as_of)
    bounds = params.utc_bounds
    bind = {
        "now": params.as_of, "s": bounds[0], "e": bounds[1], "ds": params.period.start,
        "de": params.period.end, "today": params.today,
    }  # fmt: skip

    def cold() -> None:
        with sessions() as session:
            service.get_summary(
                session,
                params,
                settings=settings,
                cache=MemoryCache(ttl_seconds=60, max_entries=16),
            )

    def lower_bound() -> None:
        with engine.connect() as connection:
            connection.execute(text(LOWER_BOUND_SQL), bind).one()

    warm_cache = MemoryCache(ttl_seconds=600, max_entries=16)

    def warm() -> None:
        with sessions() as session:
            service.get_summary(session, params, settings=settings, cache=warm_cache)

    closed = _closed_in(engine, start)
    described = ", ".join(f"{name} {count:,}" for name, count in counts.items())
    title = f"analytics summary, period {params.period.start}..{params.period.end}; {described}"
    note = f"{note or described}; month {start:%Y-%m}, {closed:,} closed in it"
    return Target(engine, start, closed, title, note, cold, lower_bound, warm)


def measure_all(targets: list[Target], repeat: int) -> list[Measured]:
    """Each target cold, against its lower bound and warm, the targets interleaved run by run
    (so a busy moment of a shared machine hits every side alike); then one cold summary of
    each timed statement by statement, and its statements' plans checked."""
    for target in targets:  # warm the buffers and the query compilation cache of every side
        target.cold()
        target.lower_bound()
        target.warm()
    freeze_startup_heap()  # as the app does once started (oversight.main)
    results = [{"cold": [], "bound": [], "warm": []} for _ in targets]  # type: ignore[var-annotated]
    for _ in range(repeat):
        for target, times in zip(targets, results, strict=True):
            times["cold"] += _timed(target.cold, 1)
            times["bound"] += _timed(target.lower_bound, 1)
            times["warm"] += _timed(target.warm, 20)
    names = {"cold": "summary, cold (computed)", "bound": "lower bound: one hand-written SQL "
             "pass", "warm": "summary, warm (cache)"}  # fmt: skip
    console = Console()
    measured = []
    for target, times in zip(targets, results, strict=True):
        medians = {key: statistics.median(values) for key, values in times.items()}
        table = Table(title=target.title)
        for column in ("what", "median ms", "min ms", "max ms", "runs"):
            table.add_column(column, justify="left" if column == "what" else "right")
        for key, values in times.items():
            table.add_row(names[key], f"{medians[key] * 1000:.2f}", f"{min(values) * 1000:.2f}",
                          f"{max(values) * 1000:.2f}", str(len(values)))  # fmt: skip
        console.print(table)
        statements = _statements(target.engine, target.cold, console)
        full_scans = _full_scans(target.engine, statements)
        for scan in full_scans:
            console.print(f"  reads a whole history table: {scan}", markup=False, highlight=False)
        target.engine.dispose()
        measured.append(Measured(
            f"{target.start:%Y-%m}", target.closed, medians["cold"] * 1000,
            medians["bound"] * 1000, medians["warm"] * 1000, full_scans, target.note,
        ))  # fmt: skip
    return measured


def measure(month: str | None, repeat: int, note: str = "") -> Measured:
    """The summary cold, warm and against one hand-written SQL pass, on the configured DB."""
    return measure_all([prepare(month, note)], repeat)[0]


def _closed_in(engine: Engine, start: date) -> int:
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    with engine.connect() as connection:
        return int(connection.execute(
            text("SELECT count(*) FROM service_requests WHERE closed_at >= :s AND closed_at < :e"),
            {"s": start, "e": end},
        ).scalar_one())  # fmt: skip


def _matching_month(closed: int) -> str:
    """Among the last twelve complete months of the configured database, the one whose
    number of closed requests is closest to `closed`."""
    engine = open_database(get_settings())
    with engine.connect() as connection:
        last = connection.execute(text("SELECT max(closed_at) FROM service_requests")).scalar()
    months = []
    first = last.date().replace(day=1)
    for _ in range(12):
        months.append(first)
        first = (first - timedelta(days=1)).replace(day=1)
    best = min(months, key=lambda month: abs(_closed_in(engine, month) - closed))
    engine.dispose()
    return f"{best:%Y-%m}"


def _statements(engine: Engine, cold: Callable[[], None], console: Console) -> list[Any]:
    """One more cold summary, timed statement by statement; returns (statement, parameters)."""
    timings: list[tuple[float, str]] = []
    started: list[float] = []
    captured: list[Any] = []

    def before(*_args: Any) -> None:
        started.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        timings.append((time.perf_counter() - started.pop(), " ".join(statement.split())))
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    try:
        begun = time.perf_counter()
        cold()
        total = time.perf_counter() - begun
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    sql = sum(t for t, _ in timings)
    console.print(
        f"one cold summary: {total * 1000:.0f} ms, {len(timings)} statements, SQL "
        f"{sql * 1000:.0f} ms, Python outside SQL {(total - sql) * 1000:.0f} ms; slowest:"
    )
    for seconds, statement in sorted(timings, reverse=True)[:6]:
        console.print(
            f"  {seconds * 1000:7.1f} ms  {statement[:150]}", markup=False, highlight=False
        )
    return captured


def _full_scans(engine: Engine, statements: list[Any]) -> list[str]:
    """The statements whose PostgreSQL plan reads a history table whole (a sequential scan)."""
    found: list[str] = []
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        for statement, parameters in statements:
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plan = cursor.fetchone()[0]
            tables = sorted(_seq_scanned(plan[0]["Plan"]) & set(HISTORY_TABLES))
            if tables:
                found.append(f"{', '.join(tables)} in {' '.join(statement.split())[:80]}")
    return found


def _seq_scanned(node: dict[str, Any]) -> set[str]:
    tables = {node["Relation Name"]} if node.get("Node Type") == "Seq Scan" else set()
    for child in node.get("Plans", []):
        tables |= _seq_scanned(child)
    return tables


if __name__ == "__main__":
    main()
