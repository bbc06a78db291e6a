"""Record ids as the API accepts them: positive, and small enough for the database's column.

An id the column cannot hold is refused as invalid input (422) before it reaches the driver,
which would otherwise fail on it (SQLite cannot bind integers past 64 bits).
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BeforeValidator

MAX_RECORD_ID = 2**31 - 1
"""Every primary key is an `integer` column on PostgreSQL."""

MAX_EVENT_ID = 2**63 - 1
"""Audit event ids are `bigint`."""


def _not_a_boolean(value: Any) -> Any:
    # Lax validation reads JSON `true` as 1: `{"customer_id": true}` would name record 1.
    if isinstance(value, bool):
        raise ValueError("an id must be an integer, not a boolean")
    return value


# The bounds come before the validator so that they stay on the integer schema: published as
# JSON Schema's `minimum`/`maximum` (after a before-validator pydantic can only attach them as
# its own, non-standard `ge`/`le`, which clients generated from the document ignore).
RecordId = Annotated[int, Ge(1), Le(MAX_RECORD_ID), BeforeValidator(_not_a_boolean)]
EventId = Annotated[int, Ge(1), Le(MAX_EVENT_ID)]
