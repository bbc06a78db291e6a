"""What a change means, noted by the service that makes it, for whoever records it.

A workflow action ("service_request.approve") is an ordinary UPDATE to the database; the
service notes its name and reason here and the audit trail files the change under it. Kept
in the foundation so that domain services need not import the audit package.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

_KEY = "oversight.intents"


@dataclass(frozen=True, slots=True)
class Intent:
    action: str
    reason: str | None = None


def note_intent(session: Session, obj: object, action: str, reason: str | None = None) -> None:
    """Say that the next flushed change of `obj` is `action` (with an optional reason)."""
    session.info.setdefault(_KEY, {})[id(obj)] = Intent(action, reason)


def take_intent(session: Session, obj: object) -> Intent | None:
    """The intent noted for `obj`, consumed: it describes one change only."""
    intents: dict[int, Intent] = session.info.get(_KEY, {})
    return intents.pop(id(obj), None)


def forget_intents(session: Session) -> None:
    session.info.pop(_KEY, None)
