"""Base classes for API schemas: unknown fields are refused, never silently dropped, and text
that no database column can hold (a NUL character) is refused as invalid input."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    field_validator,
)

from oversight.errors import InvalidInput
from oversight.kit import dates
from oversight.kit.money import to_money


class InputSchema(BaseModel):
    """A request body. A field the caller may not set is an error (422), not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold U+0000 (the driver refuses it): a 422 here, not a 500.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL (U+0000) characters")
        return value

    def provided(self, *, not_null: tuple[str, ...] = ()) -> dict[str, Any]:
        """The fields the caller actually sent, for partial updates.

        Fields named in `not_null` may be left out but not cleared: an explicit null is a 422.
        """
        changes = self.model_dump(include=self.model_fields_set)
        for field in not_null:
            if field in changes and changes[field] is None:
                raise InvalidInput(f"{field} cannot be empty", details={"field": field})
        return changes


class OutputSchema(BaseModel):
    model_config = ConfigDict(from_attributes=True)


Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9][0-9 ()\-]{4,30}$")]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]

Amount = Annotated[
    Decimal,
    PlainSerializer(lambda value: str(to_money(value)), return_type=str, when_used="json"),
]
"""A Decimal that leaves the API as a string with exactly two places ("1500.00")."""


Instant = dates.Instant
"""A timestamp from the caller (oversight.kit.dates.Instant)."""

Day = dates.Day
"""A calendar date from the caller (oversight.kit.dates.Day)."""
