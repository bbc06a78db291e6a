"""Analytics speed on a large PostgreSQL database (not part of `make test`).

    OVERSIGHT_DATABASE__URL=postgresql://... python benchmarks/analytics_bench.py [--month 2026-06]

The database should hold the demo company at scale, e.g.
`oversight demo-data --requests 1000000 --projects 10000 --months 40 ...` (then
`oversight migrate` for the analytics indexes). Prints, for the director's full summary:
cold (computed, cache empty), the lower bound (one hand-written SQL pass over the same tables
computing the same scalar figures), and warm (served from the in-process cache).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from oversight.analytics import service
from oversight.analytics.cache import MemoryCache
from oversight.config import get_settings
from oversight.db.session import session_factory
from oversight.wiring import open_database

LOWER_BOUND_SQL = """
WITH r AS (
  SELECT
    count(*) FILTER (WHERE status IN ('new','assigned','in_progress','awaiting_approval')) AS open,
    sum(extract(epoch FROM created_at)) FILTER (
      WHERE status IN ('new','assigned','in_progress','awaiting_approval')) AS open_age,
    count(*) FILTER (WHERE status IN ('new','assigned','in_progress','awaiting_approval')
      AND coalesce(sla_paused_at, :now) > resolution_due_at) AS past_due,
    count(*) FILTER (WHERE status = 'closed' AND closed_at >= :s AND closed_at < :e) AS closed,
    count(*) FILTER (WHERE status = 'closed' AND closed_at >= :s AND closed_at < :e
      AND closed_at <= resolution_due_at) AS on_time,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - created_at))
      FILTER (WHERE status = 'closed' AND closed_at >= :s AND closed_at < :e) AS p90,
    sum(revision_count) FILTER (WHERE status = 'closed' AND closed_at >= :s AND closed_at < :e)
      AS revisions,
    count(*) FILTER (WHERE first_response_at >= :s AND first_response_at < :e) AS responded
  FROM service_requests
), i AS (
  SELECT
    sum(amount) FILTER (WHERE status IN ('issued','paid') AND issued_on BETWEEN :ds AND :de)
      AS issued,
    sum(amount) FILTER (WHERE status = 'paid' AND paid_on BETWEEN :ds AND :de) AS paid,
    sum(amount) FILTER (WHERE status = 'issued' AND due_on < :today) AS overdue
  FROM invoices
), w AS (
  SELECT sum(hours) AS hours FROM work_logs WHERE work_date BETWEEN :ds AND :de
)
SELECT * FROM r, i, w
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
    settings = get_settings()
    engine = open_database(settings)
    sessions = session_factory(engine)
    with sessions() as session:
        if args.month:
            year, month = (int(x) for x in args.month.split("-"))
            start = date(year, month, 1)
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
    results = {
        "summary, cold (computed)": _timed(cold, args.repeat),
        "lower bound: one hand-written SQL pass": _timed(lower_bound, args.repeat),
        "summary, warm (cache)": _timed(warm, args.repeat * 20),
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
    cold_ms = medians["summary, cold (computed)"]
    console.print(
        f"cold / lower bound = {cold_ms / medians['lower bound: one hand-written SQL pass']:.2f}x "
        "(goal <= 2x);  cold / warm = "
        f"{cold_ms / medians['summary, warm (cache)']:.0f}x (goal >= 100x)"
    )


if __name__ == "__main__":
    main()
