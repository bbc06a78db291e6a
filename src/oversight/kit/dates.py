"""Dates and timestamps as the API accepts them: ISO 8601 strings only, within years
1900-2999.

Pydantic's lax mode would also read a number as a Unix timestamp (`?end=0` is 1970-01-01)
and accepts years 1 to 9999, where a day's arithmetic (the day after, local midnight in the
company's time zone, an SLA deadline) overflows. Both are refused as invalid input (422); the
range is published in the OpenAPI document as a standard `pattern` (JSON Schema has no
standard keyword for date bounds).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, WithJsonSchema

MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2999, 12, 31)

_YEAR = r"(19\d\d|2\d\d\d)"
_DAY = _YEAR + r"-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"
DAY_PATTERN = f"^{_DAY}$"
INSTANT_PATTERN = (
    f"^{_DAY}"
    + r"[Tt ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$"
)
_DAY_RE = re.compile(DAY_PATTERN)
_INSTANT_RE = re.compile(INSTANT_PATTERN)


def _iso_day(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        if not MIN_DAY <= value <= MAX_DAY:
            raise ValueError(f"date must be between {MIN_DAY} and {MAX_DAY}")
        return value
    if isinstance(value, str) and _DAY_RE.fullmatch(value):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+-\d\d-\d\d", value):
        raise ValueError(f"date must be between {MIN_DAY} and {MAX_DAY}")
    raise ValueError("must be an ISO 8601 date, YYYY-MM-DD")


def _iso_instant(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _INSTANT_RE.fullmatch(value):
        return value
    raise ValueError(
        "must be an ISO 8601 timestamp with a UTC offset between years 1900 and 2999, "
        "e.g. 2026-03-01T09:00:00Z"
    )


def _as_utc(value: datetime) -> datetime:
    if not MIN_DAY.year <= value.year <= MAX_DAY.year:
        raise ValueError(f"timestamp must be between years {MIN_DAY.year} and {MAX_DAY.year}")
    return value.astimezone(UTC)  # years 1900-2999, an offset under a day: never overflows


Day = Annotated[
    date,
    BeforeValidator(_iso_day),
    WithJsonSchema({"type": "string", "format": "date", "pattern": DAY_PATTERN}),
]
"""A calendar date from the caller: `YYYY-MM-DD`, years 1900-2999."""

Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_iso_instant),
    AfterValidator(_as_utc),
    WithJsonSchema({"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN}),
]
"""A timestamp from the caller: ISO 8601 with a UTC offset (a naive one is ambiguous), years
1900-2999, in UTC."""
