"""The one place that reads the wall clock, so tests and jobs agree on 'now'."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_today(timezone: ZoneInfo) -> date:
    """Today's date in the company's timezone."""
    return utcnow().astimezone(timezone).date()
