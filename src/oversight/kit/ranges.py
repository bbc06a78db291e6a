"""Date ranges as every list and report of the API takes them: `from` and `to`.

Each end is a calendar date (`2026-03-01`) or a timestamp with a UTC offset
(`2026-03-01T09:00:00Z`), whatever the field filtered:

- on a timestamp field (a request's `created_at`, an audit event's `occurred_at`) a date means
  that whole local day of the company's time zone: `from=D` starts at D's local midnight,
  `to=D` ends at the next one, D included. A timestamp `to` is the first instant left out;
- on a date field (a work log's `work_date`, an invoice's `issued_on`) both ends are included,
  and a timestamp stands for its local date (a `to` timestamp for the local date of the
  instant just before it).

`to` before `from` is invalid input naming `to`. Some operations still accept their older
names for one release (`created_from`, `issued_to`, `start`, `since`, ...): `legacy_range`
builds that dependency; the old names are `deprecated` in the OpenAPI document, and sending an
old and a new name together is refused.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Annotated, Any

from fastapi import Depends, Query
from pydantic import PlainValidator, WithJsonSchema

from oversight.errors import InvalidInput
from oversight.kit.dates import DAY_PATTERN, INSTANT_PATTERN, MAX_DAY, MIN_DAY

_DAY_RE = re.compile(DAY_PATTERN)
_INSTANT_RE = re.compile(INSTANT_PATTERN)
_TICK = timedelta(microseconds=1)

RANGE_PARAMETERS = ("from", "to")
"""The one pair of names for a date range across the API (tests/test_api_conventions.py)."""


def _day_or_instant(value: Any) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a timestamp needs a UTC offset")
        return value.astimezone(UTC)
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DAY_RE.fullmatch(value):
        return date.fromisoformat(value)
    if isinstance(value, str) and _INSTANT_RE.fullmatch(value):
        parsed = datetime.fromisoformat(value.upper().replace(" ", "T"))
        if not MIN_DAY.year <= parsed.year <= MAX_DAY.year:
            raise ValueError(f"must be between years {MIN_DAY.year} and {MAX_DAY.year}")
        return parsed.astimezone(UTC)
    if isinstance(value, str) and re.fullmatch(r"-?\d+-\d\d-\d\d", value):
        raise ValueError(f"date must be between {MIN_DAY} and {MAX_DAY}")
    raise ValueError(
        "must be an ISO 8601 date (YYYY-MM-DD, years 1900-2999) or a timestamp with a UTC "
        "offset (e.g. 2026-03-01T09:00:00Z)"
    )


DayOrInstant = Annotated[
    date,
    PlainValidator(_day_or_instant),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date", "pattern": DAY_PATTERN},
                {"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN},
            ]
        }
    ),
]
"""One end of a range: a date, or an aware timestamp (returned in UTC, a `datetime`)."""


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class DateRange:
    """`from` and `to` as sent: each a `date`, an aware UTC `datetime`, or None."""

    start: date | None = None
    end: date | None = None

    def instants(self, zone: tzinfo) -> tuple[datetime | None, datetime | None]:
        """The range on a timestamp field: [lower, upper) in UTC (lower included, upper not)."""
        lower = upper = None
        if isinstance(self.start, datetime):
            lower = self.start
        elif self.start is not None:
            lower = _local_midnight(self.start, zone)
        if isinstance(self.end, datetime):
            upper = self.end
        elif self.end is not None:
            upper = _local_midnight(self.end + timedelta(days=1), zone)
        return lower, upper

    def days(self, zone: tzinfo) -> tuple[date | None, date | None]:
        """The range on a date field: first and last local day, both included."""
        first = last = None
        if isinstance(self.start, datetime):
            first = self.start.astimezone(zone).date()
        elif self.start is not None:
            first = self.start
        if isinstance(self.end, datetime):
            last = (self.end - _TICK).astimezone(zone).date()
        elif self.end is not None:
            last = self.end
        return first, last

    def described(self) -> dict[str, str]:
        """The range as sent, for an audit event's details."""
        return {
            name: value.isoformat()
            for name, value in (("from", self.start), ("to", self.end))
            if value is not None
        }


def checked(start: date | None, end: date | None, *, names: tuple[str, str]) -> DateRange:
    """A DateRange; InvalidInput naming the `to` end when it comes before `from`.

    Ends of different kinds compare in UTC: a date here stands for its UTC midnight, which is
    enough to catch a reversed range (the local day is applied by `instants` and `days`)."""
    if start is not None and end is not None:
        lower, upper = DateRange(start, end).instants(UTC)
        assert lower is not None
        assert upper is not None
        if upper <= lower:
            raise InvalidInput(
                f"{names[1]} {end.isoformat()} leaves nothing after {names[0]} "
                f"{start.isoformat()}: the range ends before it starts",
                details={"field": names[1]},
            )
    return DateRange(start, end)


_FROM_DOC = "start of the range: a date (that local day's start) or a timestamp with offset"
_TO_DOC = "end of the range: a date (included) or a timestamp with offset (excluded)"


async def date_range(
    start: Annotated[DayOrInstant | None, Query(alias="from", description=_FROM_DOC)] = None,
    end: Annotated[DayOrInstant | None, Query(alias="to", description=_TO_DOC)] = None,
) -> DateRange:
    return checked(start, end, names=RANGE_PARAMETERS)


DateRangeQuery = Annotated[DateRange, Depends(date_range)]
"""`from`/`to` of a list or report (module docstring)."""


def legacy_range(old_from: str, old_to: str) -> Callable[..., Awaitable[DateRange]]:
    """The `date_range` dependency that also takes the operation's former names for one
    release: `deprecated` in the OpenAPI document, refused together with `from`/`to`."""

    async def dependency(**values: date | None) -> DateRange:
        chosen: list[date | None] = []
        for new, old in (("from_", old_from), ("to_", old_to)):
            if values[new] is not None and values[old] is not None:
                raise InvalidInput(
                    f"send {new.rstrip('_')!r} or its former name {old!r}, not both",
                    details={"field": old},
                )
            chosen.append(values[new] if values[new] is not None else values[old])
        used_old = values[old_from] is not None or values[old_to] is not None
        names = (old_from, old_to) if used_old else RANGE_PARAMETERS
        return checked(chosen[0], chosen[1], names=names)

    def parameter(
        name: str, alias: str, description: str, *, deprecated: bool = False
    ) -> inspect.Parameter:
        query = Query(alias=alias, description=description, deprecated=deprecated or None)
        return inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[DayOrInstant | None, query],
        )

    replaced = "deprecated: use '{}' (this name is removed in the next release)"
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            parameter("from_", "from", _FROM_DOC),
            parameter("to_", "to", _TO_DOC),
            parameter(old_from, old_from, replaced.format("from"), deprecated=True),
            parameter(old_to, old_to, replaced.format("to"), deprecated=True),
        ],
        return_annotation=DateRange,
    )
    return dependency
