"""The phone-sized text and the PNG charts, on the hand-built March."""

from __future__ import annotations

from datetime import date

import pytest

from analytics_march import NOW
from builders import make_user
from oversight.analytics import service, text
from oversight.analytics.cache import MemoryCache
from oversight.vocabulary import Role

PNG = b"\x89PNG\r\n\x1a\n"


def _march(settings):
    return service.make_params(settings, start=date(2026, 3, 1), end=date(2026, 3, 31), as_of=NOW)


def test_summary_text_reads_like_the_directors_message(march, session, settings):
    summary = service.build_summary(
        session, _march(settings), settings, service.allowed_sections(session)
    )
    assert text.render_summary(summary).splitlines() == [
        "Open requests: 4 (avg age 8.0 days)",
        "Past due: 1 · Due in 24 h: 1",
        "First response: avg 2.0 h, 80% within SLA",
        "Time to close: avg 160.0 h, median 24.0 h",
        "On time this month: 67%",
        "Closed per day: 0.1",
        "Approved at completion: 60% (3 of 5)",
        "Revisions per closed request: 1.0",
        "Engineers: 3, 16.9 h logged, mean load 6%",
        "Revenue: 63,400.00 RUB · Paid: 80,000.00 RUB",
        "Margin: 45,821.91 RUB (72%), 2 projects, 1 at a loss",
        "Overdue invoices: 2 clients (ACME, Globex), 19,400.50 RUB",
    ]


def test_project_text(march, session, settings):
    stats = service.build_project_stats(
        session, march.p1, _march(settings), service.allowed_sections(session), "RUB"
    )
    assert stats is not None
    assert text.render_project(stats).splitlines() == [
        f"P-ONE {stats.name} (ACME)",
        "Open requests: 2 (avg age 10.7 days) · Past due: 0 · Due in 24 h: 1",
        "Closed: 2 · On time: 100% · Avg time to close: 24.0 h",
        "Invoiced: 62,400.00 RUB · Costs: 15,825.00 RUB · Margin: 46,575.00 RUB (75%)",
    ]


@pytest.mark.parametrize("name", sorted(service.CHART_KPIS))
def test_every_chart_is_a_png(march, session, settings, name):
    from oversight.analytics import charts

    kpi = service.CHART_KPIS[name]
    data = service.get_kpi(
        session,
        kpi.name,
        _march(settings),
        settings=settings,
        cache=MemoryCache(ttl_seconds=9, max_entries=16),
    )
    assert charts.render(name, data).startswith(PNG)


def test_chart_endpoint_and_an_unknown_chart(march, client, auth, session):
    director = make_user(session, Role.director)
    params = {"start": "2026-03-01", "end": "2026-03-31"}
    response = client.get(
        "/api/v1/analytics/charts/margins.png", params=params, headers=auth(director)
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert client.get("/api/v1/analytics/charts/pie.png", headers=auth(director)).status_code == 404


def test_axis_labels_never_round_a_tick_into_another_value():
    from oversight.analytics.charts import _thousands

    ticks = [0, 250, 2_500, 750_000, 1_250_000, 1_750_000, 2_000_000]
    assert [_thousands(v, None) for v in ticks] == [
        "0",
        "250",
        "2.5k",
        "750k",
        "1.25M",
        "1.75M",
        "2M",
    ]
