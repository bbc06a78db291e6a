"""Events that are not row changes: logins, refused access, exports, archives.

`record_event` writes in the caller's transaction. With `survive_rollback=True` it is for
events about a request that is going to fail (a 403, an out-of-scope 404, a failed login):
the request's transaction rolls back, and the unit of work writes the deferred events
afterwards in a transaction of their own (`write_deferred`).

In a read-only session (a GET on SQLite: `oversight.db.session.is_read_only`) nothing is
written in the read's transaction: an event lands, after the read, in a short write
transaction that the unit of work commits before the request answers — only if the request
succeeded, or whatever happens with `survive_rollback`. Either way the chain is appended to
under the write lock.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from oversight.audit import chain
from oversight.audit.actor import actor_fields
from oversight.db.session import is_read_only, keep_whatever_happens, write_after_read
from oversight.kit.clock import utcnow

_DEFERRED = "oversight.audit.deferred"


def record_event(
    session: Session,
    action: str,
    *,
    entity_type: str | None = None,
    entity_id: object | None = None,
    details: dict[str, Any] | None = None,
    reason: str | None = None,
    actor: dict[str, Any] | None = None,
    survive_rollback: bool = False,
) -> None:
    """Append one event in the session's current transaction — or, with `survive_rollback`,
    keep it for the unit of work to write whatever becomes of this transaction. In a
    read-only session, keep it for the unit of work to write after the read (if the unit
    succeeds, or whatever happens with `survive_rollback`)."""
    event = {
        **actor_fields(session),
        **(actor or {}),
        "occurred_at": utcnow(),
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "changes": None if details is None else chain.canonical_json(details),
        "reason": reason,
    }
    if survive_rollback:
        session.info.setdefault(_DEFERRED, []).append(event)
        keep_whatever_happens(session, write_deferred)
    elif is_read_only(session):
        write_after_read(session, lambda later: chain.append(later.connection(), [event]))
    else:
        chain.append(session.connection(), [event])


def write_deferred(session: Session) -> bool:
    """Append the deferred events in the session's current transaction; True if any."""
    events = session.info.pop(_DEFERRED, [])
    if events:
        chain.append(session.connection(), events)
    return bool(events)
