"""Every KPI on the hand-built March (see conftest.py), each figure worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from analytics_march import NOW
from oversight.analytics import service
from oversight.config import Settings

D = Decimal


@pytest.fixture
def kpi(session, settings: Settings):
    def compute(name: str, **filters: object):
        params = service.make_params(
            settings, start=date(2026, 3, 1), end=date(2026, 3, 31), as_of=NOW, **filters
        )
        return service.compute(session, name, params, settings)

    return compute


def test_open_requests_count_and_mean_age(march, kpi):
    # R6 2d, R7 10d, R8 0.5d, R10 19d 9h: 2,754,000 s / 4 = 7.96875 days
    result = kpi("open-requests")
    assert (result.count, result.mean_age_days) == (4, D("7.97"))


def test_sla_at_risk_counts_past_due_and_due_within_a_day(march, kpi):
    # R7 is past due; R10's clock paused before its due time; R6 is due exactly in 24 h
    result = kpi("sla-at-risk")
    assert (result.past_due, result.due_within_24h) == (1, 1)


def test_first_response_over_requests_first_answered_in_the_period(march, kpi):
    # R1 1h, R2 5h (late), R5 1h, R6 1h, R10 2h; R3 and R4 answered in February
    result = kpi("first-response")
    assert result.responded == 5
    assert (result.mean_hours, result.p90_hours) == (D("2.00"), D("3.80"))
    assert (result.within_sla, result.within_sla_percent) == (4, D("80.00"))


def test_time_to_close_spans_period_boundaries_by_closing_time(march, kpi):
    # R1 24h, R2 24h, R3 432h (created in February); R4 closed 1 s before local March,
    # R5 closed at local midnight of April 1st
    result = kpi("time-to-close")
    assert result.closed == 3
    assert (result.mean_hours, result.median_hours, result.p90_hours) == (
        D("160.00"),
        D("24.00"),
        D("350.40"),
    )


def test_closing_exactly_at_the_due_time_is_on_time(march, kpi):
    result = kpi("on-time")
    assert (result.closed, result.on_time, result.on_time_percent) == (3, 2, D("66.67"))


def test_revision_cycles_per_closed_request(march, kpi):
    result = kpi("revision-cycles")
    assert (result.revisions, result.mean_revisions) == (3, D("1.00"))


def test_throughput_per_local_day(march, kpi):
    result = kpi("throughput")
    assert (result.closed, result.per_day) == (3, D("0.10"))
    busy = {d.day: (d.closed, d.on_time) for d in result.days if d.closed}
    assert busy == {date(2026, 3, 3): (1, 1), date(2026, 3, 6): (1, 1), date(2026, 3, 10): (1, 0)}
    assert len(result.days) == 31


def test_approval_rate(march, kpi):
    result = kpi("approvals")
    assert (result.approved, result.rejected, result.approval_percent) == (3, 2, D("60.00"))


def test_engineer_utilization_with_missing_and_zero_capacity(march, kpi):
    result = kpi("utilization")
    rows = {
        e.name: (e.assigned, e.closed, e.hours_logged, e.capacity_hours, e.utilization_percent)
        for e in result.engineers
    }
    assert rows == {
        # 9.75 h / (40 h x 31/7 weeks) = 5.504 %
        "Anna Engineer": (6, 2, D("9.75"), D("177.14"), D("5.50")),
        "Boris Engineer": (1, 1, D("6.00"), None, None),
        "Vera Engineer": (0, 0, D("1.15"), D("0.00"), None),
    }


def test_project_profitability_rounds_labour_half_up(march, kpi):
    result = kpi("profitability")
    rows = [
        (p.code, p.invoiced, p.costs, p.labour, p.margin, p.margin_percent) for p in result.projects
    ]
    assert rows == [
        # 1.15 h x 1234.57 = 1419.7555 -> 1419.76; the cancelled invoice counts for nothing
        ("P-TWO", D("1000.00"), D("333.33"), D("1419.76"), D("-753.09"), D("-75.31")),
        ("P-ONE", D("62400.00"), D("1200.00"), D("14625.00"), D("46575.00"), D("74.64")),
    ]


def test_revenue_accrual_and_cash(march, kpi):
    result = kpi("revenue")
    assert (result.issued_count, result.issued) == (3, D("63400.00"))
    assert (result.paid_count, result.paid) == (2, D("80000.00"))


def test_overdue_invoices_lists_the_clients(march, kpi):
    result = kpi("overdue-invoices")
    assert (result.count, result.total) == (2, D("19400.50"))
    assert [(c.name, c.count, c.total) for c in result.clients] == [
        ("ACME", 1, D("12400.00")),
        ("Globex", 1, D("7000.50")),
    ]


def test_filters_by_project_customer_and_engineer(march, kpi):
    assert kpi("on-time", project_id=march.p1).closed == 2
    assert kpi("on-time", customer_id=march.globex_id).on_time == 0
    assert kpi("open-requests", engineer_id=march.e2.id).count == 1
    assert kpi("revenue", customer_id=march.acme_id).issued == D("62400.00")
    assert [p.code for p in kpi("profitability", project_id=march.p1).projects] == ["P-ONE"]


def test_a_period_without_data_divides_by_nothing(march, session, settings):
    params = service.make_params(settings, start=date(2025, 1, 1), end=date(2025, 1, 31), as_of=NOW)
    closed = service.compute(session, "on-time", params, settings)
    assert (closed.closed, closed.on_time_percent) == (0, None)
    ttc = service.compute(session, "time-to-close", params, settings)
    assert (ttc.mean_hours, ttc.median_hours, ttc.p90_hours) == (None, None, None)
    assert service.compute(session, "approvals", params, settings).approval_percent is None
    assert service.compute(session, "revenue", params, settings).issued == D("0.00")
    assert service.compute(session, "profitability", params, settings).projects == []
    assert service.compute(session, "revision-cycles", params, settings).mean_revisions is None


def test_open_requests_over_time(march, kpi):
    days = {p.day: p.open for p in kpi("open-over-time").days}
    assert max(days) == date(2026, 3, 20)  # nothing after today
    # end of March 1st (local): R3, R4-closed? no: R3 (open until 03-10), R10 -> 2
    assert days[date(2026, 3, 1)] == 2
    # end of March 20th: R6, R7, R8, R10 open; R5 not yet created
    assert days[date(2026, 3, 20)] == 4
