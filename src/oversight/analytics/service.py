"""KPIs by name, cached per data version, parameters and scope; the summary in one call.

The cache key holds the data version read at the start (a write commits a new version, so
older entries are never read again and expire by TTL), the KPI's parameters (including 'now'
to the minute) and the caller's scope: callers whose row scope is unrestricted share entries,
everyone else gets their own.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from oversight.analytics import desk, finance
from oversight.analytics import schemas as s
from oversight.analytics.cache import KpiCache
from oversight.analytics.kpis import CHART_KPIS, KPIS, SUMMARY_KPIS, Kpi, KpiSource
from oversight.analytics.params import KpiParams
from oversight.analytics.periods import Period
from oversight.analytics.version import current_version
from oversight.auth.permissions import Action, Resource, is_allowed
from oversight.auth.scope import bound_principal, get_visible_or_raise, sees_everything
from oversight.config import Settings
from oversight.customers.models import Customer
from oversight.kit.clock import utcnow
from oversight.projects.models import Project

__all__ = [
    "CHART_KPIS",
    "KPIS",
    "Kpi",
    "allowed_sections",
    "build_project_stats",
    "build_summary",
    "compute",
    "get_kpi",
    "get_project_stats",
    "get_summary",
    "make_params",
]


def make_params(
    settings: Settings,
    *,
    start: date | None = None,
    end: date | None = None,
    project_id: int | None = None,
    customer_id: int | None = None,
    engineer_id: int | None = None,
    as_of: datetime | None = None,
    to_date: bool = False,
) -> KpiParams:
    """Parameters with the defaults filled in, 'now' to the minute.

    The period: neither day given, month to date (the first day of the current local month
    to today, so capacity and per-day figures count only days that have happened); `start`
    alone, to the end of its month; `end` alone, from the first day of its month; both, as
    given. Raises ValueError when the period is reversed or too long.
    """
    zone = settings.company.calendar.timezone
    moment = (as_of or utcnow()).replace(second=0, microsecond=0)
    today = moment.astimezone(zone).date()
    if end is None:
        period = (
            Period(today.replace(day=1), today)
            if start is None
            else Period(start, Period.month_of(start).end)
        )
    else:
        period = Period(start or end.replace(day=1), end)
    return KpiParams(
        period=period,
        as_of=moment,
        timezone=settings.company.timezone,
        project_id=project_id,
        customer_id=customer_id,
        engineer_id=engineer_id,
        to_date=to_date,
    )


def scope_key(session: Session) -> str:
    """Who may share a cached answer: unrestricted callers share entries, split by whether
    they may read cost rates (labour and margins are withheld from the others, see
    `finance.may_read_cost_rates`); everyone else gets their own."""
    principal = bound_principal(session)
    if sees_everything(principal):
        return "all" if finance.may_read_cost_rates(session) else "all:no-rates"
    assert principal is not None
    return f"{principal.role.value}:{principal.user_id}:{principal.customer_id}"


def cache_key(name: str, params: KpiParams, session: Session, version: int) -> str:
    fields = json.dumps([name, *params.cache_fields(), scope_key(session)], default=str)
    digest = hashlib.sha256(fields.encode()).hexdigest()[:32]
    return f"v{version}:{name}:{digest}"


def compute(session: Session, name: str, params: KpiParams, settings: Settings) -> s.KpiSchema:
    """Compute KPI `name` now, without the cache (scoped by the session's principal)."""
    return KPIS[name].compute(KpiSource(session, params, settings))


def get_kpi(
    session: Session, name: str, params: KpiParams, *, settings: Settings, cache: KpiCache
) -> s.KpiSchema:
    """KPI `name` from the cache when this data version has it, else computed and stored."""
    kpi = KPIS[name]
    key = cache_key(name, params, session, current_version(session))
    cached = cache.load(key, kpi.schema)
    if cached is not None:
        return cached
    value = kpi.compute(KpiSource(session, params, settings))
    cache.store(key, value)
    return value


def allowed_sections(session: Session) -> frozenset[Resource]:
    """The analytics resources the session's principal may read (all for unscoped sessions)."""
    analytics = {
        Resource.analytics_desk,
        Resource.analytics_finance,
        Resource.analytics_people,
    }
    principal = bound_principal(session)
    if principal is None:
        return frozenset(analytics)
    return frozenset(r for r in analytics if is_allowed(principal.role, r, Action.read))


def build_summary(
    session: Session, params: KpiParams, settings: Settings, sections: frozenset[Resource]
) -> s.Summary:
    """Every summary KPI of `sections` (`kpis.SUMMARY_KPIS`), sharing the passes over the
    data that several KPIs read (`kpis.KpiSource`)."""
    source = KpiSource(session, params, settings)
    parts = {kpi.field: kpi.compute(source) for kpi in SUMMARY_KPIS if kpi.resource in sections}
    return s.Summary.model_validate({"period": params.period_read, "today": params.today, **parts})


def get_summary(
    session: Session, params: KpiParams, *, settings: Settings, cache: KpiCache
) -> s.Summary:
    sections = allowed_sections(session)
    name = "summary:" + ",".join(sorted(sections))
    key = cache_key(name, params, session, current_version(session))
    cached = cache.load(key, s.Summary)
    if cached is not None:
        return cached
    value = build_summary(session, params, settings, sections)
    cache.store(key, value)
    return value


def build_project_stats(
    session: Session,
    project_id: int,
    params: KpiParams,
    sections: frozenset[Resource],
    currency: str,
) -> s.ProjectStats | None:
    """None when the project does not exist or is outside the caller's scope."""
    row = session.execute(
        select(Project.id, Project.code, Project.name, Customer.name)
        .join(Customer, Customer.id == Project.customer_id)
        .where(Project.id == project_id)
    ).one_or_none()
    if row is None:
        return None
    scoped = replace(params, project_id=project_id, customer_id=None, engineer_id=None)
    opened = desk.open_facts(session, scoped)
    closed = desk.closed_facts(session, scoped)
    margin = None
    if Resource.analytics_finance in sections:
        margins = finance.profitability(session, scoped, currency).projects
        margin = margins[0] if margins else None
    return s.ProjectStats(
        project_id=row[0],
        code=row[1],
        name=row[2],
        customer=row[3],
        open_requests=desk.open_requests(opened, scoped),
        sla_at_risk=desk.sla_at_risk(opened, scoped),
        on_time=desk.on_time(closed, scoped),
        time_to_close=desk.time_to_close(closed, scoped),
        margin=margin,
    )


def get_project_stats(
    session: Session, project_id: int, params: KpiParams, *, settings: Settings, cache: KpiCache
) -> s.ProjectStats | None:
    # Checked before the cache: a project outside the scope is not found (and audited as a
    # probe) exactly like a missing one, even when another caller's stats are cached.
    get_visible_or_raise(session, Project, project_id, "project")
    sections = allowed_sections(session)
    name = f"project:{project_id}:" + ",".join(sorted(sections))
    key = cache_key(name, params, session, current_version(session))
    cached = cache.load(key, s.ProjectStats)
    if cached is not None:
        return cached
    value = build_project_stats(session, project_id, params, sections, settings.company.currency)
    if value is not None:
        cache.store(key, value)
    return value
