"""Analytics speed on a large PostgreSQL database (not part of `make test`).

    OVERSIGHT_DATABASE__URL=postgresql://... python benchmarks/analytics_bench.py [--month 2026-06]

The database should hold the demo company at scale, e.g.
`oversight demo-data --requests 1000000 --projects 10000 --months 40 ...` (then
`oversight migrate` for the analytics indexes). Prints, for the director's full summary:
cold (computed, cache empty), the lower bound (one hand-written SQL statement computing the
same scalar figures from the period's rows and the open snapshots only, each through its
index), and warm (served from the in-process cache); then where one cold summary spends its
time: each SQL statement, and the Python time outside SQL.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime

from rich.console import Console
from rich.table import Table
from sqlalchemy import event, text

from common import BIN_DIR, Row, Scale, print_rows, ratio_row
from oversight.analytics import service
from oversight.analytics.cache import MemoryCache
from oversight.config import get_settings
from oversight.db.session import session_factory
from oversight.kit.memory import freeze_startup_heap
from oversight.wiring import open_database

# The lower bound reads what the summary must read and nothing more: the open requests (a
# snapshot, through the status index), the month's rows through their date indexes (closed,
# responded, created; invoices issued and paid; work logs with their requests by key) and
# the open invoices (issued, unpaid: the overdue snapshot). Each part is one indexed pass;
# nothing reads history outside the period.
OPEN = "('new','assigned','in_progress','awaiting_approval')"
LOWER_BOUND_SQL = f"""
WITH o AS (
  SELECT count(*) AS open, sum(extract(epoch FROM created_at)) AS open_age,
    count(*) FILTER (WHERE coalesce(sla_paused_at, :now) > resolution_due_at) AS past_due
  FROM service_requests WHERE status IN {OPEN}
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
), w AS (
  SELECT sum(wl.hours) AS hours, count(DISTINCT r.project_id) AS projects
  FROM work_logs wl JOIN service_requests r ON r.id = wl.request_id
  WHERE wl.work_date BETWEEN :ds AND :de
)
SELECT * FROM o, c, f, n, ii, ip, io, w
"""


def _timed(function, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
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
    print_rows(measure(args.month, args.repeat))


def rows(scale: Scale) -> list[Row]:
    """Builds its own data: a PostgreSQL started here, the demo company at a scale."""
    import os
    import subprocess

    import servers

    requests = scale.pick(200_000, 5_000)
    with servers.postgres_server() as pg:
        pg.create_database("bench")
        env = {k: v for k, v in os.environ.items() if not k.startswith("OVERSIGHT_")}
        env |= {"OVERSIGHT_DATABASE__URL": pg.url("bench"), "OVERSIGHT_ENV": "test"}
        oversight = str(BIN_DIR / "oversight")
        for argv in ([oversight, "migrate"],
                     [oversight, "demo-data", "--requests", str(requests), "--projects",
                      str(max(20, requests // 100)), "--months", "24"]):  # fmt: skip
            subprocess.run(argv, env=env, check=True, capture_output=True)  # noqa: S603
        os.environ.update({k: v for k, v in env.items() if k.startswith("OVERSIGHT_")})
        get_settings.cache_clear()
        try:
            return measure(None, scale.pick(5, 2), note=f"{requests:,} demo requests")
        finally:
            get_settings.cache_clear()


def measure(month: str | None, repeat: int, note: str = "") -> list[Row]:
    """The summary cold, warm and against one hand-written SQL pass, on the configured DB."""
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

    cold()  # warm the database's buffers and the query compilation cache for both sides
    lower_bound()
    warm()
    freeze_startup_heap()  # as the app does once started (oversight.main)
    results = {
        "summary, cold (computed)": _timed(cold, repeat),
        "lower bound: one hand-written SQL pass": _timed(lower_bound, repeat),
        "summary, warm (cache)": _timed(warm, repeat * 20),
    }
    medians = {name: statistics.median(times) for name, times in results.items()}
    table = Table(
        title=f"analytics summary, period {params.period.start}..{params.period.end}; "
        + ", ".join(f"{name} {count:,}" for name, count in counts.items())
    )
    table.add_column("what")
    table.add_column("median ms", justify="right")
    table.add_column("min ms", justify="right")
    table.add_column("runs", justify="right")
    for name, times in results.items():
        table.add_row(
            name, f"{medians[name] * 1000:.2f}", f"{min(times) * 1000:.2f}", str(len(times))
        )
    console = Console()
    console.print(table)
    _statements(engine, cold, console)
    engine.dispose()
    cold_s = medians["summary, cold (computed)"]
    bound_s = medians["lower bound: one hand-written SQL pass"]
    warm_s = medians["summary, warm (cache)"]
    note = note or ", ".join(f"{name} {count:,}" for name, count in counts.items())
    return [
        # Goal: cold at most 2x the lower bound's time, i.e. ratio >= 0.5.
        ratio_row("analytics summary cold vs one SQL pass", cold_s * 1000, bound_s * 1000, "ms",
                  at_least=0.5, higher_better=False, note=note),
        # Goal: warm at least 100x faster than cold (a ratio of times: cold / warm).
        ratio_row("analytics summary warm (cache) vs cold", warm_s * 1000, cold_s * 1000, "ms",
                  at_least=100, higher_better=False, note=note),
    ]  # fmt: skip


def _statements(engine, cold, console) -> None:  # type: ignore[no-untyped-def]
    """One more cold summary, timed statement by statement."""
    timings: list[tuple[float, str]] = []
    started: list[float] = []

    def before(*_args) -> None:  # type: ignore[no-untyped-def]
        started.append(time.perf_counter())

    def after(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        timings.append((time.perf_counter() - started.pop(), " ".join(statement.split())))

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
        console.print(f"  {seconds * 1000:7.1f} ms  {statement[:150]}", markup=False, highlight=False)


if __name__ == "__main__":
    main()
