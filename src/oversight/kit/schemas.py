"""Base classes for API schemas: unknown fields are refused, never silently dropped, and text
that no database column can hold (a NUL character) is refused as invalid input."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from oversight.errors import InvalidInput
from oversight.kit import dates
from oversight.kit.money import to_money

DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
"""What a decimal sent as a string looks like ("1500.00"); published on every decimal field."""


def _document_as_enforced(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The body's JSON schema as the server enforces it: fields that may be left out but not
    cleared (`NOT_NULL`) are not nullable, and a decimal's string form has a pattern."""
    not_null: tuple[str, ...] = getattr(model, "NOT_NULL", ())
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf")
        if options is None:
            continue
        if name in not_null:
            options = [option for option in options if option.get("type") != "null"]
            if prop.get("default", 0) is None:
                del prop["default"]
        if any(option.get("type") == "number" for option in options):
            for option in options:
                if option.get("type") == "string" and "pattern" not in option:
                    option["pattern"] = DECIMAL_PATTERN
        if len(options) == 1:
            del prop["anyOf"]
            prop.update(options[0])
        else:
            prop["anyOf"] = options


class InputSchema(BaseModel):
    """A request body. A field the caller may not set is an error (422), not ignored.

    Leading and trailing whitespace is stripped, but a length limit counts what was sent (a
    limit of 2,048 refuses a space and 2,048 characters). `NOT_NULL` names the fields an
    update may leave out but not clear; the document says they are not nullable.
    """

    NOT_NULL: ClassVar[tuple[str, ...]] = ()
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=True, json_schema_extra=_document_as_enforced
    )

    @field_validator("*", mode="before")
    @classmethod
    def _length_as_sent(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and info.field_name is not None:
            limit = _max_lengths(cls).get(info.field_name)
            if limit is not None and len(value) > limit:
                raise ValueError(f"at most {limit} characters (surrounding spaces included)")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # PostgreSQL text cannot hold U+0000 (the driver refuses it): a 422 here, not a 500.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain NUL (U+0000) characters")
        return value

    def provided(self) -> dict[str, Any]:
        """The fields the caller actually sent, for partial updates.

        Fields named in `NOT_NULL` may be left out but not cleared: an explicit null is a 422.
        """
        changes = self.model_dump(include=self.model_fields_set)
        for field in self.NOT_NULL:
            if field in changes and changes[field] is None:
                raise InvalidInput(f"{field} cannot be empty", details={"field": field})
        return changes


@functools.cache
def _max_lengths(model: type[BaseModel]) -> dict[str, int]:
    """Each string field's `maxLength`, as the model's JSON schema publishes it."""
    limits = {}
    for name, prop in model.model_json_schema().get("properties", {}).items():
        for option in prop.get("anyOf", [prop]):
            if "maxLength" in option:
                limits[name] = int(option["maxLength"])
    return limits


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
