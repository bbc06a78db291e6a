"""Column helpers shared by the models."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy import Enum


def enum_column(enum_type: type[enum.Enum], length: int = 32) -> Any:
    """A portable enum: VARCHAR holding the member's value (no native PostgreSQL type)."""
    return Enum(
        enum_type,
        native_enum=False,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )
