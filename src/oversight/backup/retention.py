"""Which backups to keep: a pure plan with restic `forget` semantics (../shared/BACKUPS.md 1-9).

Walk the verified backups newest first. Each rule (daily, weekly, monthly) with count left
keeps a backup whose period key differs from the last key that rule kept, and spends one
count; periods without a backup are skipped, not counted; rules are independent. A rule
that still has count left at the oldest backup keeps it too ("oldest …"). An all-zero policy
deletes nothing. Backups that are not verified, or dated in the future, are never counted
and never deleted here (removing leftovers is the backup run's clean-up, not retention's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Policy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12

    @property
    def empty(self) -> bool:
        return self.daily == self.weekly == self.monthly == 0


@dataclass(frozen=True, slots=True)
class Candidate:
    id: str
    time: datetime
    verified: bool = True


@dataclass(frozen=True, slots=True)
class Plan:
    """`keep` and `remove` by id, each with its reasons; together they are every candidate."""

    keep: dict[str, list[str]] = field(default_factory=dict)
    remove: dict[str, str] = field(default_factory=dict)


def day_key(moment: date) -> str:
    return moment.isoformat()


def week_key(moment: date) -> str:
    """ISO 8601 week with its ISO week-year: 2024-12-30 is 2025-W01."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def month_key(moment: date) -> str:
    return f"{moment.year}-{moment.month:02d}"


RULES: tuple[tuple[str, Callable[[date], str]], ...] = (
    ("daily", day_key),
    ("weekly", week_key),
    ("monthly", month_key),
)


def plan(
    candidates: Sequence[Candidate], policy: Policy, *, timezone: ZoneInfo, now: datetime
) -> Plan:
    """Decide keep/remove for every candidate; see the module docstring for the rules."""
    result = Plan()
    counted: list[Candidate] = []
    for candidate in candidates:
        if not candidate.verified:
            result.keep[candidate.id] = ["not verified: not counted, not deleted"]
        elif candidate.time > now:
            result.keep[candidate.id] = ["dated in the future: not counted, not deleted"]
        else:
            counted.append(candidate)
    if policy.empty:
        for candidate in counted:
            result.keep[candidate.id] = ["empty policy: nothing is deleted"]
        return result
    counted.sort(key=lambda c: (c.time, c.id), reverse=True)
    left = {"daily": policy.daily, "weekly": policy.weekly, "monthly": policy.monthly}
    last: dict[str, str | None] = dict.fromkeys(left)
    for position, candidate in enumerate(counted):
        local = candidate.time.astimezone(timezone).date()
        reasons = []
        oldest = position == len(counted) - 1
        for rule, key_of in RULES:
            if left[rule] <= 0:
                continue
            key = key_of(local)
            if key != last[rule]:
                reasons.append(f"{rule} {key}")
            elif oldest:
                reasons.append(f"oldest ({rule} has {left[rule]} left)")
            else:
                continue
            last[rule] = key
            left[rule] -= 1
        if reasons:
            result.keep[candidate.id] = reasons
        else:
            result.remove[candidate.id] = "no rule keeps it"
    return result
