from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, StringConstraints

from oversight.kit.schemas import InputSchema, Name, OutputSchema, Phone

Address = Annotated[str, StringConstraints(max_length=1_000)]


class CustomerCreate(InputSchema):
    name: Name
    contact_person: Name | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    address: Address | None = None


class CustomerUpdate(InputSchema):
    name: Name | None = None
    contact_person: Name | None = None
    phone: Phone | None = None
    email: EmailStr | None = None
    address: Address | None = None


class CustomerRead(OutputSchema):
    id: int
    name: str
    contact_person: str | None
    phone: str | None
    email: str | None
    address: str | None
    created_at: datetime
    updated_at: datetime
