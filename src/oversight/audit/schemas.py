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


class AuditPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: int | None
