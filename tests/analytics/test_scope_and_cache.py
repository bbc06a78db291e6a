"""Analytics through the API: who sees which KPIs, row scope on the aggregates, and a cache
that never serves an answer older than the last write (in memory and on a real Redis)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

import servers
from analytics_march import NOW
from builders import make_user
from oversight.analytics import service
from oversight.analytics.cache import MemoryCache, RedisCache
from oversight.auth.principal import Principal
from oversight.auth.scope import bind_principal
from oversight.service_requests.models import RequestStatus
from oversight.vocabulary import Role

MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def _params(settings):
    return service.make_params(settings, start=date(2026, 3, 1), end=date(2026, 3, 31), as_of=NOW)


def test_aggregates_are_row_scoped_for_a_project_manager(march, session, settings):
    bind_principal(session, Principal(march.pm.id, "pm", Role.project_manager))
    params = _params(settings)
    assert service.compute(session, "open-requests", params, settings).count == 2  # R6, R10
    assert service.compute(session, "on-time", params, settings).closed == 2
    revenue = service.compute(session, "revenue", params, settings)
    assert revenue.issued == Decimal("62400.00")
    assert [
        p.code for p in service.compute(session, "profitability", params, settings).projects
    ] == ["P-ONE"]


@pytest.mark.parametrize(
    "name", sorted(set(service.KPIS) - {"utilization", "open-over-time"}), ids=str
)
def test_every_kpi_of_a_project_manager_equals_the_kpi_of_their_projects(
    march, session, settings, name
):
    # the PM manages P1 only: the row scope must give exactly the P1-filtered figures (as
    # an unrestricted role that may not read cost rates sees them: labour withheld)
    params = _params(settings)
    bind_principal(session, Principal(march.e1.id, "acc", Role.accountant))
    expected = service.compute(session, name, replace(params, project_id=march.p1), settings)
    bind_principal(session, Principal(march.pm.id, "pm", Role.project_manager))
    assert service.compute(session, name, params, settings) == expected


def test_an_engineer_sees_only_their_own_utilization(march, session, settings):
    bind_principal(session, Principal(march.e2.id, "e2", Role.engineer))
    result = service.compute(session, "utilization", _params(settings), settings)
    assert [(e.name, e.hours_logged) for e in result.engineers] == [
        ("Boris Engineer", Decimal("6.00"))
    ]


def test_a_client_sees_only_their_company(march, session, settings):
    client = make_user(session, Role.client, customer_id=march.globex_id)
    bind_principal(session, Principal(client.id, "c", Role.client, customer_id=march.globex_id))
    assert service.compute(session, "open-requests", _params(settings), settings).count == 2


@pytest.mark.parametrize(
    ("role", "summary_keys", "forbidden"),
    [
        (Role.director, {"open_requests", "revenue", "utilization"}, []),
        (Role.accountant, {"revenue", "overdue_invoices"}, ["open-requests", "utilization"]),
        (Role.engineer, {"utilization"}, ["revenue", "on-time"]),
        (Role.client, {"open_requests", "on_time"}, ["revenue", "utilization"]),
    ],
    ids=lambda value: value.value if isinstance(value, Role) else "",
)
def test_each_role_gets_its_sections(client, auth, session, role, summary_keys, forbidden):
    user = make_user(session, role)
    response = client.get("/api/v1/analytics/summary", params=MARCH, headers=auth(user))
    assert response.status_code == 200
    present = {key for key, value in response.json().items() if value is not None}
    assert summary_keys <= present
    for name in forbidden:
        denied = client.get(f"/api/v1/analytics/{name}", headers=auth(user))
        assert denied.status_code == 403


def test_money_travels_as_strings_and_dates_as_iso(march, client, auth, session):
    director = make_user(session, Role.director)
    body = client.get("/api/v1/analytics/revenue", params=MARCH, headers=auth(director)).json()
    assert body["period"] == {"start": "2026-03-01", "end": "2026-03-31"}
    assert body["issued"] == "63400.00"


def test_a_reversed_period_is_refused(client, auth, session):
    director = make_user(session, Role.director)
    response = client.get(
        "/api/v1/analytics/on-time",
        params={"start": "2026-03-31", "end": "2026-03-01"},
        headers=auth(director),
    )
    assert response.status_code == 422


def _close(session, request) -> None:
    request.status = RequestStatus.closed
    request.closed_at = NOW
    session.flush()


def test_a_write_invalidates_the_cached_answer(march, session, settings):
    cache = MemoryCache(ttl_seconds=3600, max_entries=64)
    params = _params(settings)
    first = service.get_kpi(session, "open-requests", params, settings=settings, cache=cache)
    again = service.get_kpi(session, "open-requests", params, settings=settings, cache=cache)
    assert first == again
    assert first.count == 4
    _close(session, march.requests["R6"])
    after = service.get_kpi(session, "open-requests", params, settings=settings, cache=cache)
    assert after.count == 3


def test_the_cache_serves_without_recomputing(march, session, settings, monkeypatch):
    cache = MemoryCache(ttl_seconds=3600, max_entries=64)
    params = _params(settings)
    service.get_summary(session, params, settings=settings, cache=cache)
    monkeypatch.setattr(service, "build_summary", lambda *a: pytest.fail("recomputed"))
    summary = service.get_summary(session, params, settings=settings, cache=cache)
    assert summary.open_requests is not None
    assert summary.open_requests.count == 4


def test_scopes_do_not_share_cache_entries(march, session, settings):
    cache = MemoryCache(ttl_seconds=3600, max_entries=64)
    params = _params(settings)
    everything = service.get_kpi(session, "open-requests", params, settings=settings, cache=cache)
    bind_principal(session, Principal(march.pm.id, "pm", Role.project_manager))
    own = service.get_kpi(session, "open-requests", params, settings=settings, cache=cache)
    assert (everything.count, own.count) == (4, 2)


def test_redis_cache_invalidates_and_survives_an_outage(march, session, settings, caplog):
    with servers.redis_server() as redis:
        cache = RedisCache(redis.url, ttl_seconds=60)
        params = _params(settings)
        first = service.get_kpi(session, "on-time", params, settings=settings, cache=cache)
        assert service.get_kpi(session, "on-time", params, settings=settings, cache=cache) == first
        _close(session, march.requests["R6"])
        assert (
            service.get_kpi(session, "on-time", params, settings=settings, cache=cache).closed == 4
        )
        redis.process.terminate()
        redis.process.wait()
    with caplog.at_level(logging.WARNING, logger="oversight.analytics.cache"):
        for _ in range(3):
            result = service.get_kpi(session, "on-time", params, settings=settings, cache=cache)
            assert result.closed == 4
    warnings = [r for r in caplog.records if "Redis unavailable" in r.getMessage()]
    assert len(warnings) == 1
