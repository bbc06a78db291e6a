"""GET /api/v1/analytics/...: the summary, one endpoint per KPI (made from the registry,
`oversight.analytics.kpis`), text and PNG charts."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session

from oversight.analytics import schemas as s
from oversight.analytics import service, text
from oversight.analytics.cache import KpiCache
from oversight.analytics.docs import kpi_description, kpi_summary
from oversight.analytics.kpis import CHART_KPIS, KPIS, Kpi
from oversight.analytics.params import KpiParams
from oversight.analytics.views import record_kpi_view
from oversight.auth.dependencies import CurrentPrincipal, SessionDep, SettingsDep, deny, require
from oversight.auth.permissions import Action, Resource
from oversight.auth.principal import Principal
from oversight.config import Settings
from oversight.errors import InvalidInput, NotFound
from oversight.kit.ids import RecordId
from oversight.kit.ranges import DateRange, legacy_range
from oversight.kit.routing import OffloadedRoute

router = APIRouter(prefix="/analytics", tags=["analytics"], route_class=OffloadedRoute)

DeskRead = Annotated[Principal, Depends(require(Resource.analytics_desk, Action.read))]


def get_cache(request: Request) -> KpiCache:
    cache: KpiCache = request.app.state.analytics_cache
    return cache


CacheDep = Annotated[KpiCache, Depends(get_cache)]
PeriodQuery = Annotated[DateRange, Depends(legacy_range("start", "end"))]


def kpi_params(
    settings: SettingsDep,
    period: PeriodQuery,
    project_id: RecordId | None = None,
    customer_id: RecordId | None = None,
    engineer_id: RecordId | None = None,
) -> KpiParams:
    """The period (`from`/`to`, local days, both included; `start`/`end` are the former
    names, kept for one release) and the filters of every analytics endpoint."""
    start, end = period.days(settings.company.calendar.timezone)
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
        raise InvalidInput(str(error), details={"field": "to"}) from None


ParamsDep = Annotated[KpiParams, Depends(kpi_params)]


def profit_params(
    params: ParamsDep,
    to_date: Annotated[
        bool,
        Query(
            description="profitability: everything up to `to` (the all-time margin) "
            "instead of the period alone"
        ),
    ] = False,
) -> KpiParams:
    return replace(params, to_date=to_date)


ProfitParamsDep = Annotated[KpiParams, Depends(profit_params)]


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
    summary = service.get_summary(session, params, settings=settings, cache=cache)
    record_kpi_view(session, "summary")
    return summary


@router.get("/summary.txt", response_class=PlainTextResponse)
def get_summary_text(
    session: SessionDep, settings: SettingsDep, params: ParamsDep, cache: CacheDep, _: AnyAnalytics
) -> str:
    """The summary as the short text the director reads on a phone."""
    summary = service.get_summary(session, params, settings=settings, cache=cache)
    record_kpi_view(session, "summary")
    return text.render_summary(summary)


@router.get("/projects/{project_id}.txt", response_class=PlainTextResponse)
def get_project_text(
    project_id: RecordId,
    session: SessionDep,
    settings: SettingsDep,
    params: ProfitParamsDep,
    cache: CacheDep,
    _: DeskRead,
) -> str:
    """One project's KPIs as text (`project_stats <ProjectID>`); 404 outside the scope.
    `to_date=true`: its margin up to `end` rather than over the period."""
    stats = service.get_project_stats(session, project_id, params, settings=settings, cache=cache)
    if stats is None:
        raise NotFound(f"project {project_id} not found")
    record_kpi_view(session, "project")
    return text.render_project(stats, settings.company.currency)


@router.get("/charts/{name}.png", response_class=Response)
def get_chart(
    name: str,
    session: SessionDep,
    settings: SettingsDep,
    params: ProfitParamsDep,
    cache: CacheDep,
    principal: AnyAnalytics,
) -> Response:
    """A PNG chart: open-requests, closed-per-day, revenue-by-month, utilization, margins
    (`to_date=true`: margins up to `end`; refused for the other charts)."""
    kpi = CHART_KPIS.get(name)
    if kpi is None:
        raise NotFound(f"chart {name!r} not found; charts: {', '.join(sorted(CHART_KPIS))}")
    if params.to_date and not kpi.to_date:
        raise InvalidInput(
            f"to_date applies only to the margins chart, not to {name!r}",
            details={"field": "to_date"},
        )
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
    record_kpi_view(session, f"chart:{name}")
    return Response(content=charts.render(name, data), media_type="image/png")


def kpi_endpoint(kpi: Kpi) -> Callable[..., s.KpiSchema]:
    """The handler of `GET /analytics/<kpi.name>`: the KPI's answer (`kpi.schema`) for a
    caller with read access to the KPI's own resource."""

    def endpoint(
        session: Session, settings: Settings, params: KpiParams, cache: KpiCache, _: Principal
    ) -> s.KpiSchema:
        value = service.get_kpi(session, kpi.name, params, settings=settings, cache=cache)
        record_kpi_view(session, kpi.name)
        return value

    reader = Annotated[Principal, Depends(require(kpi.resource, Action.read))]
    # FastAPI reads the parameters from the signature; the permission is this KPI's own (a
    # value known only here), so the signature is built rather than written.
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=kind)
            for name, kind in (
                ("session", SessionDep),
                ("settings", SettingsDep),
                ("params", ProfitParamsDep if kpi.to_date else ParamsDep),
                ("cache", CacheDep),
                ("_", reader),
            )
        ],
        return_annotation=kpi.schema,
    )
    endpoint.__name__ = f"get_{kpi.field}"
    return endpoint


def include_kpi_routes(target: APIRouter) -> None:
    """One `GET /analytics/<name>` per KPI of the registry, typed by the KPI's schema."""
    for kpi in KPIS.values():
        target.add_api_route(
            f"/{kpi.name}",
            kpi_endpoint(kpi),
            methods=["GET"],
            response_model=kpi.schema,
            summary=kpi_summary(kpi.name),
            description=kpi_description(kpi.name),
        )


include_kpi_routes(router)
