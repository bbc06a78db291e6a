"""The service request state machine, as data: which action moves which state where.

new ─assign→ assigned ─start→ in_progress ─complete→ awaiting_approval ─approve/close→ closed
                                   ↑                         │                          │
                                   └───────── reject ────────┘◀──────── reopen ─────────┘
cancel: from any open state to cancelled.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from oversight.errors import Conflict
from oversight.service_requests.models import RequestStatus

S = RequestStatus


class RequestAction(enum.StrEnum):
    assign = "assign"
    start = "start"
    complete = "complete"
    approve = "approve"
    reject = "reject"
    close = "close"
    reopen = "reopen"
    cancel = "cancel"


TRANSITIONS: Mapping[RequestAction, Mapping[RequestStatus, RequestStatus]] = {
    # Reassigning keeps the work state: a request in progress stays in progress.
    RequestAction.assign: {S.new: S.assigned, S.assigned: S.assigned, S.in_progress: S.in_progress},
    RequestAction.start: {S.assigned: S.in_progress},
    RequestAction.complete: {S.in_progress: S.awaiting_approval},
    RequestAction.approve: {S.awaiting_approval: S.closed},
    RequestAction.reject: {S.awaiting_approval: S.in_progress},
    RequestAction.close: {S.awaiting_approval: S.closed},
    RequestAction.reopen: {S.closed: S.in_progress},
    RequestAction.cancel: {
        S.new: S.cancelled,
        S.assigned: S.cancelled,
        S.in_progress: S.cancelled,
        S.awaiting_approval: S.cancelled,
    },
}

OPEN_STATUSES = frozenset({S.new, S.assigned, S.in_progress, S.awaiting_approval})


def allowed_actions(status: RequestStatus) -> list[RequestAction]:
    return [action for action, moves in TRANSITIONS.items() if status in moves]


def next_status(number: str, status: RequestStatus, action: RequestAction) -> RequestStatus:
    """The state `action` leads to from `status`; Conflict naming the allowed actions otherwise."""
    target = TRANSITIONS[action].get(status)
    if target is None:
        allowed = ", ".join(allowed_actions(status)) or "none"
        raise Conflict(
            f"cannot {action.value} request {number}: it is {status.value}; "
            f"allowed actions: {allowed}",
            details={"status": status.value, "allowed_actions": allowed_actions(status)},
        )
    return target
