"""A record's history as one role may see it (the policy grid: `HISTORY_VIEWS`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from oversight.audit import repository
from oversight.audit.models import AuditEvent
from oversight.audit.schemas import HistoryEntryRead
from oversight.auth.permissions import HistoryActor, HistoryView

_ALWAYS = ("occurred_at", "action", "entity_type", "entity_id", "changes", "reason",
           "actor_type", "actor_role")  # fmt: skip
_ACTOR = {
    HistoryActor.identity: ("actor_id", "actor_name"),
    HistoryActor.name: ("actor_name",),
    HistoryActor.role: (),
}
_FORENSIC = ("client_ip", "user_agent", "request_id", "id", "hash")


def visible_fields(view: HistoryView) -> tuple[str, ...]:
    """The fields of a history entry that `view` shows."""
    return _ALWAYS + _ACTOR[view.actor] + (_FORENSIC if view.forensic else ())


def entry(event: AuditEvent, view: HistoryView) -> HistoryEntryRead:
    """`event` with only the fields `view` shows: the others are absent, not null."""
    values: dict[str, Any] = {name: getattr(event, name) for name in visible_fields(view)}
    return HistoryEntryRead.model_validate(values)


def record_history(
    session: Session, entity_type: str, entity_id: str, view: HistoryView
) -> Sequence[HistoryEntryRead]:
    """The record's events in chain order: all of them for a forensic view, else only the
    changes to it (no refused access, no probes by others, no logins)."""
    events = repository.entity_history(
        session, entity_type, entity_id, changes_only=not view.forensic
    )
    return [entry(event, view) for event in events]
