"""What an attacker with write access to the database does to the audit trail, in SQL:
shared by the tamper-evidence, checkpoint and inconsistent-chain tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, text

from oversight.audit import chain
from oversight.audit.models import AuditEvent


def trail_event(when: datetime, n: int) -> dict[str, Any]:
    """An event as the application appends it (hashed fields, no id or hashes)."""
    return {
        "occurred_at": when, "actor_type": "system", "actor_id": None, "actor_name": None,
        "actor_role": None, "client_ip": None, "user_agent": None, "request_id": None,
        "action": "test.event", "entity_type": "thing", "entity_id": str(n),
        "changes": chain.canonical_json({"n": n}), "reason": None,
    }  # fmt: skip


def disable_guards(connection: Connection) -> None:
    """What an attacker with database superuser rights does first (PostgreSQL: until the
    transaction ends; SQLite: the triggers are gone)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    else:
        connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        connection.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))


def enable_guards(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))


def forged_event(event_id: int, prev_hash: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        "id": event_id, "occurred_at": datetime(2026, 5, 1, tzinfo=UTC), "actor_type": "system",
        "actor_id": None, "actor_name": "forger", "actor_role": None, "client_ip": None,
        "user_agent": None, "request_id": None, "action": "forged", "entity_type": None,
        "entity_id": None, "changes": None, "reason": None,
    }  # fmt: skip
    return {**values, "prev_hash": prev_hash, "hash": chain.event_hash(prev_hash, values)}


def append_past_head(connection: Connection) -> int:
    """Link one event onto the chain by hand without moving the recorded head (as a writer
    with SQL access could); returns its position."""
    head = chain.read_head(connection)
    connection.execute(insert(AuditEvent).values(**forged_event(head.last_id + 1, head.last_hash)))
    return head.last_id + 1


def stored(connection: Connection) -> list[dict[str, Any]]:
    """Every stored event as a dict of STORED_FIELDS, in chain order."""
    return [
        dict(zip(chain.STORED_FIELDS, event, strict=True))
        for event in chain.stored_events(connection)
    ]


def rehash_from(connection: Connection, position: int, *, actor_name: str) -> None:
    """Rewrite who did the event at `position` and recompute every later hash and the head,
    so that the chain verifies again on its own (triggers must be disabled)."""
    events = stored(connection)
    previous = next(e["prev_hash"] for e in events if e["id"] == position)
    for event in events:
        if event["id"] < position:
            continue
        if event["id"] == position:
            event["actor_name"] = actor_name
        # The walk's occurred_at (an aware datetime, or SQLite's text in the same rendering)
        # hashes exactly like the datetime it was written as.
        new_hash = chain.event_hash(previous, event)
        connection.execute(
            text(
                "UPDATE audit_events SET actor_name = :name, prev_hash = :prev, hash = :hash"
                " WHERE id = :id"
            ),
            {"name": event["actor_name"], "prev": previous, "hash": new_hash, "id": event["id"]},
        )
        previous = new_hash
    connection.execute(
        text("UPDATE audit_chain_head SET last_hash = :hash WHERE id = 1"), {"hash": previous}
    )


def cut_tail(connection: Connection, keep_through: int) -> None:
    """Delete every event after `keep_through` and move the head back to it (triggers must be
    disabled): the chain then verifies on its own."""
    kept = connection.execute(
        text("SELECT hash FROM audit_events WHERE id = :id"), {"id": keep_through}
    ).scalar_one()
    connection.execute(text("DELETE FROM audit_events WHERE id > :id"), {"id": keep_through})
    connection.execute(
        text("UPDATE audit_chain_head SET last_id = :id, last_hash = :hash WHERE id = 1"),
        {"id": keep_through, "hash": kept},
    )
