"""Record ids as the API accepts them: positive, and small enough for the database's column.

An id the column cannot hold is refused as invalid input (422) before it reaches the driver,
which would otherwise fail on it (SQLite cannot bind integers past 64 bits).
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import Ge, Le

MAX_RECORD_ID = 2**31 - 1
"""Every primary key is an `integer` column on PostgreSQL."""

MAX_EVENT_ID = 2**63 - 1
"""Audit event ids are `bigint`."""

RecordId = Annotated[int, Ge(1), Le(MAX_RECORD_ID)]
EventId = Annotated[int, Ge(1), Le(MAX_EVENT_ID)]
