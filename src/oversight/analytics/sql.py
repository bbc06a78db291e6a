"""SQL building blocks that read the same on SQLite and PostgreSQL.

Durations are measured in whole seconds since the epoch (each timestamp truncated to the
second), as integers, so sums and percentiles are exact on both engines; means and
interpolations are finished in Python with `Decimal`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, Integer, column, literal, values
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.selectable import CTE

from oversight.analytics.periods import local_midnight
from oversight.db.types import UTCDateTime


class epoch_seconds(FunctionElement[int]):  # noqa: N801 - reads like the SQL function it is
    """Whole seconds since 1970-01-01 UTC of a timestamp column (NULL stays NULL)."""

    type = BigInteger()
    inherit_cache = True
    name = "epoch_seconds"


@compiles(epoch_seconds, "postgresql")
def _epoch_seconds_pg(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"


@compiles(epoch_seconds, "sqlite")
def _epoch_seconds_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLAlchemy stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC here);
    # strftime('%s') truncates the fraction.
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


def seconds_between(later: Any, earlier: Any) -> ColumnElement[int]:
    """`later - earlier` in whole seconds (each side truncated to the second)."""
    return epoch_seconds(later) - epoch_seconds(earlier)


def utc_literal(value: datetime) -> ColumnElement[datetime]:
    return literal(value, UTCDateTime())


def day_table(days: Sequence[date], timezone: ZoneInfo, name: str = "days") -> CTE:
    """A CTE with one row per local day: `day` (its index), `day_start` and `day_end` in UTC.

    `WITH days(day, day_start, day_end) AS (VALUES (...), ...)`: both engines accept a column
    list on a CTE, and a VALUES list is not a compound SELECT, so SQLite's 500-term limit on
    `UNION ALL` does not bound the period (a three-year period is 1,098 rows). The local date
    is recovered from the index in Python.
    """
    rows = [
        (
            index,
            local_midnight(day, timezone),
            local_midnight(date.fromordinal(day.toordinal() + 1), timezone),
        )
        for index, day in enumerate(days)
    ]
    table = values(
        column("day", Integer()),
        column("day_start", UTCDateTime()),
        column("day_end", UTCDateTime()),
        name=name,
    ).data(rows)
    return table.cte(name)
