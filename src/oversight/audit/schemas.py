from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, field_validator

from oversight.kit.schemas import OutputSchema


class AuditEventRead(OutputSchema):
    id: int
    occurred_at: datetime
    actor_type: str
    actor_id: int | None
    actor_name: str | None
    actor_role: str | None
    client_ip: str | None
    user_agent: str | None
    request_id: str | None
    action: str
    entity_type: str | None
    entity_id: str | None
    changes: dict[str, Any] | None
    reason: str | None
    hash: str

    @field_validator("changes", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class HistoryEntryRead(OutputSchema):
    """One change in a record's history. Which fields are present depends on the caller's
    role (`oversight.auth.permissions.HISTORY_VIEWS`): everyone gets when, what, why and the
    author's type and role; the author's name and id, the client IP, user agent, request id,
    chain position and hash appear only for the roles the grid gives them to."""

    occurred_at: datetime
    action: str
    entity_type: str | None
    entity_id: str | None
    changes: dict[str, Any] | None
    reason: str | None
    actor_type: str
    actor_role: str | None
    actor_id: int | None = None
    actor_name: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    request_id: str | None = None
    id: int | None = None
    hash: str | None = None

    @field_validator("changes", mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        return json.loads(value) if isinstance(value, str) else value


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: int | None
