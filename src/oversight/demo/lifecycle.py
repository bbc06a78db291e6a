"""One service request's life, simulated along the workflow and cut at the end of the history.

new -> assigned -> in_progress -> awaiting_approval -> closed, with rejections (back to
in_progress), reopenings (closed -> in_progress) and cancellations. The simulated people
act in business hours; due dates come from the SLA policy, and every pause while awaiting
the client's approval moves the resolution due date exactly as the workflow does.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from itertools import accumulate
from typing import Any

from oversight.config import Settings
from oversight.demo import names
from oversight.demo.names import pick
from oversight.demo.working_time import NEVER, History, utc
from oversight.service_requests.models import ApprovalDecision, RequestStatus
from oversight.service_requests.sla import due_dates, resume_after_pause
from oversight.vocabulary import Priority

Row = tuple[Any, ...]

REQUEST_COLUMNS = (
    "id", "number", "customer_id", "project_id", "title", "description", "priority", "status",
    "created_at", "first_response_at", "response_due_at", "resolution_due_at", "sla_paused_at",
    "assigned_engineer_id", "completed_at", "closed_at", "cancelled_at", "revision_count",
    "created_by_id", "updated_at",
)  # fmt: skip
APPROVAL_COLUMNS = ("id", "request_id", "decision", "comment", "decided_by_id", "decided_at")
WORK_LOG_COLUMNS = (
    "id", "request_id", "engineer_id", "work_date", "hours", "description", "created_at",
    "updated_at",
)  # fmt: skip

PRIORITIES = (Priority.critical, Priority.high, Priority.medium, Priority.low)
PRIORITY_WEIGHTS = tuple(accumulate((5, 20, 50, 25)))

LATE_RESPONSE = {
    Priority.critical: 0.15,
    Priority.high: 0.10,
    Priority.medium: 0.07,
    Priority.low: 0.06,
}
LATE_RESOLUTION = {
    Priority.critical: 0.10,
    Priority.high: 0.06,
    Priority.medium: 0.04,
    Priority.low: 0.04,
}
MEDIAN_WORK_HOURS = {
    Priority.critical: 6.5,
    Priority.high: 5.5,
    Priority.medium: 4.5,
    Priority.low: 3.5,
}
STALLED = 0.03
CANCELLED = 0.035
REJECTED_FIRST, REJECTED_AGAIN = 0.10, 0.03
REOPENED = 0.025

_HOUR = 3600
_QUARTERS = tuple(Decimal(q * 25).scaleb(-2) for q in range(33))


@dataclass(slots=True)
class Ids:
    """The next primary key of each bulk table; the generator assigns keys itself."""

    request: int
    approval: int
    work_log: int


@dataclass(slots=True)
class Batch:
    requests: list[Row]
    approvals: list[Row]
    work_logs: list[Row]


@dataclass(frozen=True, slots=True)
class Parties:
    """Who is involved in one request."""

    customer_id: int
    project_id: int | None
    engineer_id: int
    created_by_id: int | None
    decided_by_id: int | None


class Lifecycle:
    def __init__(self, settings: Settings, history: History) -> None:
        self.settings = settings
        self.history = history
        self.working = history.working
        self.targets = {
            p: (
                int(settings.sla.for_priority(p).response.total_seconds()),
                int(settings.sla.for_priority(p).resolution.total_seconds()),
            )
            for p in PRIORITIES
        }

    def simulate(
        self,
        rng: random.Random,
        ids: Ids,
        number: str,
        created: int,
        parties: Parties,
        batch: Batch,
    ) -> None:
        """Append the request, its approvals and work logs to `batch`, advancing `ids`."""
        priority = PRIORITIES[bisect_right(PRIORITY_WEIGHTS, rng.random() * PRIORITY_WEIGHTS[-1])]
        events, segments = self._plan(rng, priority, created)
        created_at = utc(created)
        due = due_dates(self.settings, priority, created_at)
        resolution_due = due.resolution_due_at
        request_id = ids.request
        ids.request += 1
        state = _State(created_at)
        engineer: int | None = None
        as_of = self.history.as_of
        for kind, moment in events:
            if moment > as_of:
                break
            at = utc(moment)
            state.updated = at
            if kind == "assign":
                state.status, engineer = RequestStatus.assigned, parties.engineer_id
            elif kind == "start":
                state.status = RequestStatus.in_progress
                state.first_response = at
            elif kind == "complete":
                state.status = RequestStatus.awaiting_approval
                state.completed = state.paused = at
            elif kind in ("approve", "reject"):
                assert state.paused is not None
                resolution_due = resume_after_pause(self.settings, resolution_due, state.paused, at)
                state.paused = None
                approved = kind == "approve"
                batch.approvals.append(
                    (ids.approval, request_id,
                     (ApprovalDecision.approved if approved else ApprovalDecision.rejected).value,
                     pick(rng, names.APPROVAL_COMMENTS if approved else names.REJECTION_COMMENTS),
                     parties.decided_by_id, at)
                )  # fmt: skip
                ids.approval += 1
                if approved:
                    state.status, state.closed = RequestStatus.closed, at
                else:
                    state.status, state.completed = RequestStatus.in_progress, None
                    state.revisions += 1
            elif kind == "reopen":
                state.status, state.closed, state.completed = RequestStatus.in_progress, None, None
                state.revisions += 1
            else:
                state.status, state.cancelled = RequestStatus.cancelled, at
        if engineer is not None:
            self._log_work(rng, ids, request_id, engineer, segments, batch)
        batch.requests.append(
            (request_id, number, parties.customer_id, parties.project_id, *_title(rng),
             priority.value, state.status.value, created_at, state.first_response,
             due.response_due_at, resolution_due, state.paused, engineer, state.completed,
             state.closed, state.cancelled, state.revisions, parties.created_by_id, state.updated)
        )  # fmt: skip

    def _plan(
        self, rng: random.Random, priority: Priority, created: int
    ) -> tuple[list[tuple[str, int]], list[tuple[int, int, float]]]:
        """The events that would happen with no end of history, and the work segments
        (start, end, planned hours), all as instants."""
        response, resolution = self.targets[priority]
        at = self.working.position(created)
        late_response = rng.random() < LATE_RESPONSE[priority]
        first = response * (rng.uniform(1.15, 3.0) if late_response else rng.uniform(0.15, 0.95))
        roll = rng.random()
        if roll < STALLED:
            finish = rng.uniform(1.3, 6.0)
        elif roll < STALLED + LATE_RESOLUTION[priority]:
            finish = rng.uniform(1.05, 2.0)
        else:
            finish = rng.uniform(0.35, 0.92)
        start = at + int(first)
        done = max(at + int(resolution * finish), start + _HOUR // 2)
        events = [("assign", at + int(first * rng.uniform(0.15, 0.8))), ("start", start)]
        hours = rng.lognormvariate(math.log(MEDIAN_WORK_HOURS[priority]), 0.5)
        segments = [(start, done, hours)]
        if rng.random() < CANCELLED:
            cancel = at + int((done - at) * rng.uniform(0.02, 0.8))
            events = [event for event in events if event[1] < cancel]
            events.append(("cancel", cancel))
            worked = (cancel - start) / (done - start)
            segments = [(start, cancel, hours * worked)] if start < cancel else []
            return self._instants(events), self._instant_segments(segments)
        wait = (0.5, 6.0) if priority in (Priority.critical, Priority.high) else (1.0, 16.0)
        rounds = 1 + (rng.random() < REJECTED_FIRST) + (rng.random() < REJECTED_AGAIN)
        for round_ in range(rounds):
            events.append(("complete", done))
            decided = done + int(rng.uniform(*wait) * _HOUR)
            if round_ + 1 < rounds:
                events.append(("reject", decided))
                done = decided + int(resolution * rng.uniform(0.1, 0.4)) + _HOUR // 2
                segments.append((decided, done, hours * rng.uniform(0.2, 0.5)))
            else:
                events.append(("approve", decided))
        if rng.random() < REOPENED:
            reopened = decided + int(rng.uniform(2, 40) * _HOUR)
            done = reopened + int(resolution * rng.uniform(0.1, 0.5)) + _HOUR // 2
            decided = done + int(rng.uniform(*wait) * _HOUR)
            events += [("reopen", reopened), ("complete", done), ("approve", decided)]
            segments.append((reopened, done, hours * rng.uniform(0.3, 0.8)))
        return self._instants(events), self._instant_segments(segments)

    def _instants(self, events: list[tuple[str, int]]) -> list[tuple[str, int]]:
        instant = self.working.instant
        return [(kind, instant(position)) for kind, position in events]

    def _instant_segments(
        self, segments: list[tuple[int, int, float]]
    ) -> list[tuple[int, int, float]]:
        instant = self.working.instant
        return [(instant(lo), instant(hi), hours) for lo, hi, hours in segments]

    def _log_work(
        self,
        rng: random.Random,
        ids: Ids,
        request_id: int,
        engineer_id: int,
        segments: list[tuple[int, int, float]],
        batch: Batch,
    ) -> None:
        as_of = self.history.as_of
        local_date = self.working.local_date
        for lo, hi, hours in segments:
            if lo > as_of:
                break
            end = min(hi, as_of)
            if hi != end:
                hours *= (end - lo) / max(1, hi - lo) if hi != NEVER else rng.uniform(0.2, 0.8)
            first_day, last_day = local_date(lo), local_date(end)
            span = (last_day - first_day).days + 1
            quarters = max(2, round(hours * 4))
            count = (
                1 if span == 1 else min(span, max(1 + rng.randrange(3), math.ceil(quarters / 32)))
            )
            quarters = min(max(quarters, 2 * count), 32 * count)
            moments = self._working_moments(rng, lo, end, count)
            for moment, part in zip(moments, _split(rng, quarters, count), strict=True):
                at = utc(moment)
                batch.work_logs.append(
                    (ids.work_log, request_id, engineer_id, local_date(moment), _QUARTERS[part],
                     pick(rng, names.WORK_NOTES), at, at)
                )  # fmt: skip
                ids.work_log += 1

    def _working_moments(self, rng: random.Random, lo: int, hi: int, count: int) -> list[int]:
        """`count` instants in [lo, hi], in working hours when the span has any, in order."""
        working = self.working
        first, last = working.position(lo), working.position(hi)
        if last <= first:
            return sorted(lo + int(rng.random() * (hi - lo)) for _ in range(count))
        positions = sorted(first + int(rng.random() * (last - first)) for _ in range(count))
        return [min(max(working.instant(p), lo), hi) for p in positions]


@dataclass(slots=True)
class _State:
    updated: datetime
    status: RequestStatus = RequestStatus.new
    first_response: datetime | None = None
    completed: datetime | None = None
    paused: datetime | None = None
    closed: datetime | None = None
    cancelled: datetime | None = None
    revisions: int = 0


def _split(rng: random.Random, quarters: int, parts: int) -> list[int]:
    """`quarters` (>= 2 * parts) split into `parts` pieces of 2..32 quarter-hours each."""
    weights = [rng.random() + 0.5 for _ in range(parts)]
    total = sum(weights)
    spare = quarters - 2 * parts
    pieces = [min(32, 2 + int(spare * w / total)) for w in weights]
    pieces[0] = min(32, pieces[0] + quarters - sum(pieces))
    return pieces


def _title(rng: random.Random) -> tuple[str, str]:
    system = pick(rng, names.SYSTEMS)
    title = pick(rng, names.REQUEST_TITLES).format(
        System=system[0].upper() + system[1:], system=system, place=pick(rng, names.PLACES)
    )
    return title, pick(rng, names.REQUEST_DETAILS)
