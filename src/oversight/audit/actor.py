"""Who and where an audit event comes from: the principal bound to the session, or the origin
of the unit of work (CLI, job, system), plus the request context set by the HTTP middleware."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from oversight.auth.principal import bound_principal
from oversight.context import current_context


def actor_fields(session: Session) -> dict[str, Any]:
    context = current_context()
    principal = bound_principal(session)
    fields: dict[str, Any] = {
        "client_ip": context.client_ip,
        "user_agent": (context.user_agent or None) and context.user_agent[:300],
        "request_id": context.request_id,
    }
    if principal is not None:
        return fields | {
            "actor_type": "user",
            "actor_id": principal.user_id,
            "actor_name": principal.username,
            "actor_role": principal.role.value,
        }
    origin, _, name = context.origin.partition(":")
    return fields | {
        "actor_type": origin if origin in {"cli", "job", "bot"} else "system",
        "actor_id": None,
        "actor_name": name or None,
        "actor_role": None,
    }
