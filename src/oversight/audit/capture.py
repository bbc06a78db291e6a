"""Change capture: SQLAlchemy session events turn every flush of audited models into audit
events, written in the same transaction as the change.

A rolled-back transaction takes its audit rows with it; a committed one always has them.
Services that perform a workflow action say so with `oversight.db.intent.note_intent`, and the
event carries that action name and reason instead of a bare "update".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlalchemy.orm.attributes import get_history

from oversight.audit import chain
from oversight.audit.actor import actor_fields
from oversight.audit.policy import (
    ENCRYPTED_CHANGE,
    AuditPolicy,
    audited_tables,
    policy_for,
    render,
)
from oversight.db.encrypted import EncryptedField, plaintext_changed, sealed_columns
from oversight.db.intent import forget_intents, take_intent
from oversight.kit.clock import utcnow


class AuditBypassError(Exception):
    """A bulk statement would change audited rows without leaving a trail."""


def _column_names(obj: object) -> list[str]:
    return [attr.key for attr in inspect(obj).mapper.column_attrs]


# Encrypted fields enter the trail as {"changed": true} under the field's name: neither their
# ciphertext nor their plaintext. Their blind indexes and key bookkeeping are not recorded.


def _snapshot(policy: AuditPolicy, obj: object, *, removed: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    sealed, plumbing = sealed_columns(type(obj))
    for name in _column_names(obj):
        if name in policy.skip or name in plumbing:
            continue
        value = getattr(obj, name)
        if value is None:
            continue
        field: EncryptedField | None = sealed.get(name)
        if field is not None:
            changes[field.name] = ENCRYPTED_CHANGE
            continue
        old, new = (value, None) if removed else (None, value)
        changes[name] = render(policy, name, old, new)
    return changes


def _diff(policy: AuditPolicy, obj: object) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    sealed, plumbing = sealed_columns(type(obj))
    for name in _column_names(obj):
        if name in policy.skip or name in plumbing:
            continue
        history = get_history(obj, name)
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        field = sealed.get(name)
        if field is not None:
            # Re-sealing under a new key changes the ciphertext, not the value.
            if plaintext_changed(field, obj, old):
                changes[field.name] = ENCRYPTED_CHANGE
        elif old != new:
            changes[name] = render(policy, name, old, new)
    return changes


def _events_for_flush(session: Session) -> list[dict[str, Any]]:
    now = utcnow()
    actor = actor_fields(session)
    events = []
    groups = (("create", session.new), ("update", session.dirty), ("delete", session.deleted))
    for verb, objects in groups:
        for obj in objects:
            policy = policy_for(obj)
            if policy is None:
                continue
            if verb == "update":
                changes = _diff(policy, obj)
                if not changes:
                    continue
            else:
                changes = _snapshot(policy, obj, removed=verb == "delete")
            intent = take_intent(session, obj)
            events.append(
                {
                    **actor,
                    "occurred_at": now,
                    "action": intent.action if intent else f"{policy.entity_type}.{verb}",
                    "entity_type": policy.entity_type,
                    "entity_id": None if verb == "create" else str(obj.id),
                    "reason": intent.reason if intent else None,
                    "changes": changes,
                    "_obj": obj,
                }
            )
    return events


def _before_flush(session: Session, flush_context: UOWTransaction, instances: Any) -> None:
    # History is read before the flush resets it; ids of new rows arrive after the flush.
    session.info.setdefault("_audit_pending", []).extend(_events_for_flush(session))


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    pending = session.info.pop("_audit_pending", [])
    if not pending:
        return
    rows = []
    for event_data in pending:
        obj = event_data.pop("_obj")
        if event_data["entity_id"] is None:
            event_data["entity_id"] = str(obj.id)
        event_data["changes"] = chain.canonical_json(event_data["changes"])
        rows.append(event_data)
    chain.append(session.connection(), rows)


def _discard_pending(session: Session, previous_transaction: Any) -> None:
    session.info.pop("_audit_pending", None)
    if not getattr(previous_transaction, "nested", False):
        forget_intents(session)


def _refuse_bulk_bypass(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) in audited_tables():
        raise AuditBypassError(
            f"bulk {'UPDATE' if state.is_update else 'DELETE'} on {table.name} would bypass the "
            "audit trail; load the objects and change them through the session instead"
        )


def install_audit_capture() -> None:
    """Register the capture hooks on every Session (idempotent)."""
    for name, hook in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("do_orm_execute", _refuse_bulk_bypass),
        ("after_soft_rollback", _discard_pending),
    ):
        if not event.contains(Session, name, hook):
            event.listen(Session, name, hook)
