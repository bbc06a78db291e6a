from __future__ import annotations

from typing import Annotated, Literal

from pydantic import StringConstraints

from oversight.kit.schemas import InputSchema, OutputSchema


class LoginRequest(InputSchema):
    username: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=1024)]


class TokenResponse(OutputSchema):
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the scheme name
    expires_in: int
