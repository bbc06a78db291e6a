"""The project state machine, as data: which named action moves which state where.

planned ─start→ active ─complete→ completed
                 │  ↑
            hold ↓  │ resume
                on_hold
cancel: from planned, active or on_hold to cancelled. Completed and cancelled are final:
they take no new requests and no new costs.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from oversight.errors import Conflict
from oversight.projects.models import ProjectStatus

P = ProjectStatus


class ProjectAction(enum.StrEnum):
    start = "start"
    hold = "hold"
    resume = "resume"
    complete = "complete"
    cancel = "cancel"


TRANSITIONS: Mapping[ProjectAction, Mapping[ProjectStatus, ProjectStatus]] = {
    ProjectAction.start: {P.planned: P.active},
    ProjectAction.hold: {P.active: P.on_hold},
    ProjectAction.resume: {P.on_hold: P.active},
    ProjectAction.complete: {P.active: P.completed},
    ProjectAction.cancel: {P.planned: P.cancelled, P.active: P.cancelled, P.on_hold: P.cancelled},
}
FINAL_STATUSES = frozenset({P.completed, P.cancelled})
INITIAL_STATUSES = frozenset({P.planned, P.active})


def allowed_actions(status: ProjectStatus) -> list[ProjectAction]:
    return [action for action, moves in TRANSITIONS.items() if status in moves]


def next_status(code: str, status: ProjectStatus, action: ProjectAction) -> ProjectStatus:
    """The state `action` leads to from `status`; Conflict naming the allowed actions otherwise."""
    target = TRANSITIONS[action].get(status)
    if target is None:
        allowed = ", ".join(allowed_actions(status)) or "none"
        raise Conflict(
            f"cannot {action.value} project {code}: it is {status.value}; "
            f"allowed actions: {allowed}",
            details={"status": status.value, "allowed_actions": allowed_actions(status)},
        )
    return target
