"""On-call statistics (the operations design's success measures) and KPI adoption.

- MTTR: mean of resolved - firing over alerts that resolved (goal < 4 h).
- Time to acknowledge: mean of acknowledged - firing over acknowledged alerts (< 15 min).
- Noise: share of alerts that resolved within `noise_minutes` with no acknowledgement, or
  that flapped (the same fingerprint fired before within `flap_window_hours`) (< 5 %).
  Counted over paging alerts: every severity but `info`.
- Adoption: of the active users in `adoption_roles`, the share whose user left a KPI-view
  audit event (`adoption_actions`) in the last 30 days, per role (> 80 %).
Alerts count in the week (ISO, company time zone) in which they started firing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from oversight.alerts import repository
from oversight.alerts.models import Alert, AlertStatus
from oversight.alerts.schemas import AdoptionRow, AlertStats, Goal, StatsRow
from oversight.audit.models import AuditEvent
from oversight.auth.models import User
from oversight.config import Settings

MTTR_GOAL_HOURS = 4.0
ACK_GOAL_MINUTES = 15.0
NOISE_GOAL_PERCENT = 5.0
ADOPTION_GOAL = 0.8
ADOPTION_DAYS = 30
QUIET_SEVERITIES = frozenset({"info"})


def _goal(value: float | None, goal: float, unit: str, *, at_least: bool = False) -> Goal:
    met = None if value is None else (value >= goal if at_least else value < goal)
    return Goal(value=None if value is None else round(value, 4), goal=goal, unit=unit, met=met)


def is_noise(alert: Alert, settings: Settings, earlier: Iterable[Alert]) -> bool:
    quick = (
        alert.status is AlertStatus.resolved
        and alert.acknowledged_at is None
        and alert.ends_at is not None
        and alert.ends_at - alert.starts_at <= timedelta(minutes=settings.alerts.noise_minutes)
    )
    window = timedelta(hours=settings.alerts.flap_window_hours)
    flapped = any(
        other.id != alert.id
        and other.fingerprint == alert.fingerprint
        and alert.starts_at - window <= other.starts_at < alert.starts_at
        for other in earlier
    )
    return quick or flapped


def row(key: str, alerts: Sequence[Alert], noisy: set[int]) -> StatsRow:
    repaired = [
        (a.ends_at - a.starts_at).total_seconds()
        for a in alerts
        if a.ends_at is not None and a.status is AlertStatus.resolved
    ]
    acked = [
        max(0.0, (a.acknowledged_at - a.starts_at).total_seconds())
        for a in alerts
        if a.acknowledged_at is not None
    ]
    noise = 100.0 * sum(a.id in noisy for a in alerts) / len(alerts) if alerts else None
    return StatsRow(
        key=key,
        alerts=len(alerts),
        mttr=_goal(fmean(repaired) / 3600 if repaired else None, MTTR_GOAL_HOURS, "h"),
        time_to_ack=_goal(fmean(acked) / 60 if acked else None, ACK_GOAL_MINUTES, "min"),
        noise=_goal(noise, NOISE_GOAL_PERCENT, "%"),
    )


def iso_week(moment: datetime, zone: ZoneInfo) -> str:
    year, week, _ = moment.astimezone(zone).isocalendar()
    return f"{year}-W{week:02d}"


def compute(
    session: Session, settings: Settings, *, since: datetime, until: datetime, now: datetime
) -> AlertStats:
    window = timedelta(hours=settings.alerts.flap_window_hours)
    loaded = repository.alerts_started_between(session, since - window, until)
    paging = [a for a in loaded if a.severity not in QUIET_SEVERITIES]
    counted = [a for a in paging if a.starts_at >= since]
    noisy = {a.id for a in counted if is_noise(a, settings, paging)}
    zone = ZoneInfo(settings.company.timezone)
    weeks: dict[str, list[Alert]] = defaultdict(list)
    names: dict[str, list[Alert]] = defaultdict(list)
    for alert in counted:
        weeks[iso_week(alert.starts_at, zone)].append(alert)
        names[alert.alertname].append(alert)
    return AlertStats(
        since=since,
        until=until,
        overall=row("all", counted, noisy),
        by_week=[row(key, weeks[key], noisy) for key in sorted(weeks)],
        by_alertname=[row(key, names[key], noisy) for key in sorted(names)],
        adoption=adoption(session, settings, now=now),
        adoption_source=sorted(settings.alerts.adoption_actions),
    )


def adoption(session: Session, settings: Settings, *, now: datetime) -> list[AdoptionRow]:
    """Per role of `adoption_roles`: active people, and how many of them viewed a KPI in the
    last 30 days (an audit event whose action is one of `adoption_actions`)."""
    roles = sorted(settings.alerts.adoption_roles)
    people = session.execute(
        select(User.role, func.count())
        .where(User.is_active.is_(True), User.role.in_(roles))
        .group_by(User.role)
    ).all()
    viewers = (
        select(AuditEvent.actor_id)
        .where(
            AuditEvent.action.in_(sorted(settings.alerts.adoption_actions)),
            AuditEvent.occurred_at >= now - timedelta(days=ADOPTION_DAYS),
            AuditEvent.actor_id.is_not(None),
        )
        .distinct()
        .scalar_subquery()
    )
    looked = session.execute(
        select(User.role, func.count())
        .where(User.is_active.is_(True), User.role.in_(roles), User.id.in_(viewers))
        .group_by(User.role)
    ).all()
    people_by_role: dict[str, int] = dict(people)
    looked_by_role: dict[str, int] = dict(looked)
    rows = []
    for role in roles:
        total = people_by_role.get(role, 0)
        seen = looked_by_role.get(role, 0)
        share = seen / total if total else None
        rows.append(
            AdoptionRow(
                role=role.value,
                people=total,
                looked=seen,
                share=share,
                goal=ADOPTION_GOAL,
                met=None if share is None else share >= ADOPTION_GOAL,
            )
        )
    return rows
