"""GET /api/v1/analytics/...: the summary, one endpoint per KPI, text and PNG charts."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response

from oversight.analytics import schemas as s
from oversight.analytics import service, text
from oversight.analytics.cache import KpiCache
from oversight.analytics.params import KpiParams
from oversight.auth.dependencies import CurrentPrincipal, SessionDep, SettingsDep, deny, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.errors import InvalidInput, NotFound
from oversight.kit.dates import Day
from oversight.kit.ids import RecordId

router = APIRouter(prefix="/analytics", tags=["analytics"])

DeskRead = Annotated[Principal, Depends(require(Resource.analytics_desk, Action.read))]
FinanceRead = Annotated[Principal, Depends(require(Resource.analytics_finance, Action.read))]
PeopleRead = Annotated[Principal, Depends(require(Resource.analytics_people, Action.read))]


def get_cache(request: Request) -> KpiCache:
    cache: KpiCache = request.app.state.analytics_cache
    return cache


CacheDep = Annotated[KpiCache, Depends(get_cache)]


def kpi_params(
    settings: SettingsDep,
    start: Annotated[
        Day | None, Query(description="first local day (default: month start)")
    ] = None,
    end: Annotated[Day | None, Query(description="last local day, included")] = None,
    project_id: RecordId | None = None,
    customer_id: RecordId | None = None,
    engineer_id: RecordId | None = None,
) -> KpiParams:
    try:
        return service.make_params(
            settings,
            start=start,
            end=end,
            project_id=project_id,
            customer_id=customer_id,
            engineer_id=engineer_id,
        )
    except ValueError as error:
        raise InvalidInput(str(error), details={"field": "end"}) from None


ParamsDep = Annotated[KpiParams, Depends(kpi_params)]


def require_any_analytics(session: SessionDep, principal: CurrentPrincipal) -> Principal:
    """Admit a caller who may read at least one analytics section."""
    if not service.allowed_sections(session):
        deny(session, principal, "analytics", "read")
    return principal


AnyAnalytics = Annotated[Principal, Depends(require_any_analytics)]


@router.get("/summary", response_model=s.Summary)
def get_summary(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: AnyAnalytics
) -> s.Summary:
    """Every KPI the caller may see, in one call; the sections they may not see are null."""
    return service.get_summary(session, params, settings=settings, cache=cache)


@router.get("/summary.txt", response_class=PlainTextResponse)
def get_summary_text(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: AnyAnalytics
) -> str:
    """The summary as the short text the director reads on a phone."""
    summary = service.get_summary(session, params, settings=settings, cache=cache)
    return text.render_summary(summary)


@router.get("/projects/{project_id}.txt", response_class=PlainTextResponse)
def get_project_text(
    project_id: RecordId,
    session: SessionDep,
    settings: SettingsDep,
    params: ParamsDep,
    cache: CacheDep,
    _: DeskRead,
) -> str:
    """One project's KPIs as text (`project_stats <ProjectID>`); 404 outside the scope."""
    stats = service.get_project_stats(session, project_id, params, settings=settings, cache=cache)
    if stats is None:
        raise NotFound(f"project {project_id} not found")
    return text.render_project(stats, settings.company.currency)


@router.get("/charts/{name}.png", response_class=Response)
def get_chart(
    name: str,
    session: SessionDep,
    settings: SettingsDep,
    params: ParamsDep,
    cache: CacheDep,
    principal: AnyAnalytics,
) -> Response:
    """A PNG chart: open-requests, closed-per-day, revenue-by-month, utilization, margins."""
    kpi = service.CHART_KPIS.get(name)
    if kpi is None:
        raise NotFound(f"chart {name!r} not found; charts: {', '.join(sorted(service.CHART_KPIS))}")
    if kpi.resource not in service.allowed_sections(session):
        deny(
            session,
            principal,
            kpi.resource.value,
            "read",
            f"this chart needs {kpi.resource.value} read access",
        )
    # matplotlib loads on the first chart, not at start-up (it costs seconds per worker)
    from oversight.analytics import charts

    data = service.get_kpi(session, kpi.name, params, settings=settings, cache=cache)
    return Response(content=charts.render(name, data), media_type="image/png")


def _kpi(session: Any, name: str, params: KpiParams, settings: Any, cache: KpiCache) -> Any:
    return service.get_kpi(session, name, params, settings=settings, cache=cache)


@router.get("/open-requests", response_model=s.OpenRequests)
def get_open_requests(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: DeskRead
) -> Any:
    return _kpi(session, "open-requests", params, settings, cache)


@router.get("/sla-at-risk", response_model=s.SlaAtRisk)
def get_sla_at_risk(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: DeskRead
) -> Any:
    return _kpi(session, "sla-at-risk", params, settings, cache)


@router.get("/first-response", response_model=s.FirstResponse)
def get_first_response(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: DeskRead
) -> Any:
    return _kpi(session, "first-response", params, settings, cache)


@router.get("/time-to-close", response_model=s.TimeToClose)
def get_time_to_close(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: DeskRead
) -> Any:
    return _kpi(session, "time-to-close", params, settings, cache)


@router.get("/on-time", response_model=s.OnTime)
def get_on_time(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: DeskRead
) -> Any:
    return _kpi(session, "on-time", params, settings, cache)


@router.get("/throughput", response_model=s.Throughput)
def get_throughput(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: DeskRead
) -> Any:
    return _kpi(session, "throughput", params, settings, cache)


@router.get("/approvals", response_model=s.Approvals)
def get_approvals(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: DeskRead
) -> Any:
    return _kpi(session, "approvals", params, settings, cache)


@router.get("/revision-cycles", response_model=s.RevisionCycles)
def get_revision_cycles(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: DeskRead
) -> Any:
    return _kpi(session, "revision-cycles", params, settings, cache)


@router.get("/open-over-time", response_model=s.OpenOverTime)
def get_open_over_time(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: DeskRead
) -> Any:
    return _kpi(session, "open-over-time", params, settings, cache)


@router.get("/utilization", response_model=s.Utilization)
def get_utilization(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: PeopleRead
) -> Any:
    return _kpi(session, "utilization", params, settings, cache)


@router.get("/profitability", response_model=s.Profitability)
def get_profitability(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: FinanceRead
) -> Any:
    return _kpi(session, "profitability", params, settings, cache)


@router.get("/revenue", response_model=s.Revenue)
def get_revenue(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: FinanceRead
) -> Any:
    return _kpi(session, "revenue", params, settings, cache)


@router.get("/revenue-by-month", response_model=s.RevenueByMonth)
def get_revenue_by_month(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: FinanceRead
) -> Any:
    return _kpi(session, "revenue-by-month", params, settings, cache)


@router.get("/overdue-invoices", response_model=s.OverdueInvoices)
def get_overdue_invoices(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: FinanceRead
) -> Any:
    return _kpi(session, "overdue-invoices", params, settings, cache)
