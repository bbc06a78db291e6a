"""A KPI is declared once (`oversight.analytics.kpis.KPIS`): its route, permission, schema,
summary section and text rows follow from that entry, or are checked against it here."""

from __future__ import annotations

import inspect
import typing
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.routing import iter_route_contexts

from oversight.analytics import schemas as s
from oversight.analytics import service, text
from oversight.analytics.kpis import KPIS, SUMMARY_KPIS, Kpi
from oversight.auth.dependencies import required_permission
from oversight.auth.permissions import Action

NOW = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
NOT_KPIS = {"summary", "summary.txt", "projects/{project_id}.txt", "charts/{name}.png"}


def _analytics_routes(app) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Path under /api/v1/analytics/ -> the route (a FastAPI RouteContext)."""
    prefix = "/api/v1/analytics/"
    return {
        str(route.path).removeprefix(prefix): route
        for route in iter_route_contexts(app.routes)
        if str(route.path).startswith(prefix)
    }


def _permissions(dependant: Any) -> set[tuple[Any, Any]]:
    found = set()
    permission = required_permission(dependant.call) if dependant.call else None
    if permission is not None:
        found.add(permission)
    for sub in dependant.dependencies:
        found |= _permissions(sub)
    return found


def test_every_kpi_has_its_route_and_no_route_is_a_kpi_outside_the_registry(app) -> None:
    assert set(_analytics_routes(app)) - NOT_KPIS == set(KPIS)


@pytest.mark.parametrize("kpi", KPIS.values(), ids=lambda kpi: kpi.name)
def test_each_kpi_route_needs_exactly_its_kpis_resource(app, kpi: Kpi) -> None:
    route = _analytics_routes(app)[kpi.name]
    assert route.methods == {"GET"}
    assert _permissions(route.dependant) == {(kpi.resource, Action.read)}


@pytest.mark.parametrize("kpi", KPIS.values(), ids=lambda kpi: kpi.name)
def test_each_kpi_route_is_typed_by_its_schema(app, kpi: Kpi) -> None:
    route = _analytics_routes(app)[kpi.name]
    assert route.response_model is kpi.schema
    assert inspect.signature(route.endpoint).return_annotation is kpi.schema
    assert route.name == f"get_{kpi.field}"


def test_the_summary_schema_has_a_section_per_summary_kpi() -> None:
    hints = typing.get_type_hints(s.Summary)
    sections = {name: hint for name, hint in hints.items() if name not in {"period", "today"}}
    assert sections == {kpi.field: kpi.schema | None for kpi in SUMMARY_KPIS}


def _full_summary(session, settings) -> s.Summary:  # type: ignore[no-untyped-def]
    params = service.make_params(settings, start=date(2026, 3, 1), end=date(2026, 3, 31), as_of=NOW)
    return service.build_summary(session, params, settings, service.allowed_sections(session))


def test_the_summary_is_each_kpi_computed_on_its_own(march, session, settings) -> None:  # type: ignore[no-untyped-def]
    params = service.make_params(settings, start=date(2026, 3, 1), end=date(2026, 3, 31), as_of=NOW)
    summary = _full_summary(session, settings)
    for kpi in SUMMARY_KPIS:
        assert getattr(summary, kpi.field) == service.compute(session, kpi.name, params, settings)


def test_the_summary_table_has_rows_for_each_summary_kpi(march, session, settings) -> None:  # type: ignore[no-untyped-def]
    summary = _full_summary(session, settings)
    for kpi in SUMMARY_KPIS:
        alone = s.Summary(period=summary.period, **{kpi.field: getattr(summary, kpi.field)})
        assert text.summary_rows(alone), f"no table row renders {kpi.name}"
    assert text.summary_rows(s.Summary(period=summary.period)) == []
