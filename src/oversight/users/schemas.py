from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import EmailStr, Field, StringConstraints

from oversight.kit.ids import RecordId
from oversight.kit.schemas import Amount, InputSchema, Name, OutputSchema, Phone
from oversight.vocabulary import Role

Username = Annotated[
    str, StringConstraints(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
]
# The policy (length, common passwords) is checked by the service, with a message naming the
# rule; this bound only keeps absurd bodies out.
Password = Annotated[str, StringConstraints(min_length=1, max_length=4096, strip_whitespace=False)]
Capacity = Annotated[Decimal, Field(ge=0, le=168, decimal_places=2)]
Rate = Annotated[Decimal, Field(ge=0, le=1_000_000, decimal_places=2)]


class UserCreate(InputSchema):
    username: Username
    full_name: Name
    password: Password
    role: Role
    email: EmailStr | None = None
    phone: Phone | None = None
    customer_id: RecordId | None = None
    weekly_capacity_hours: Capacity | None = None
    cost_rate: Rate | None = None


class UserUpdate(InputSchema):
    """What an administrator may change on another user."""

    NOT_NULL = ("full_name", "role", "is_active")
    full_name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    role: Role | None = None
    customer_id: RecordId | None = None
    weekly_capacity_hours: Capacity | None = None
    cost_rate: Rate | None = None
    is_active: bool | None = None


class ProfileUpdate(InputSchema):
    """What a user may change about themselves: never their role, customer or status."""

    NOT_NULL = ("full_name",)
    full_name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None


class UserRead(OutputSchema):
    id: int
    username: str
    full_name: str
    email: str | None
    phone: str | None
    role: Role
    customer_id: int | None
    weekly_capacity_hours: Amount | None
    cost_rate: Amount | None
    is_active: bool
    created_at: datetime


class EngineerEntry(OutputSchema):
    """An engineer as the dispatch directory shows them: who, and how busy. Nothing personal
    (no username, contact details, capacity or cost rate)."""

    id: int
    name: str
    open_requests: int = Field(
        description="requests assigned to them that are not closed or cancelled (all projects)"
    )


class TemporaryPassword(InputSchema):
    """A password the user must change at their next login (the password policy applies)."""

    temporary_password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class TemporaryPasswordSet(OutputSchema):
    sessions_ended: int
