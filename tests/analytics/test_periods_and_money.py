"""Issue 13, money and periods: the month-to-date default, explicit periods, profitability per
period or to date, and the longest allowed period on both engines (API and CLI)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from analytics_march import NOW
from builders import make_user, make_work_log
from oversight.analytics import service
from oversight.analytics.periods import MAX_PERIOD_DAYS
from oversight.cli import app
from oversight.config import get_settings
from oversight.vocabulary import Role

D = Decimal


def test_the_default_period_is_month_to_date(march, session, settings):
    # NOW is 2026-03-20 12:00 in Moscow: the default is 1-20 March, so capacity counts the
    # 20 days that have happened (40 h x 20/7) and per-day figures divide by 20
    params = service.make_params(settings, as_of=NOW)
    assert (params.period.start, params.period.end) == (date(2026, 3, 1), date(2026, 3, 20))
    load = service.compute(session, "utilization", params, settings)
    anna = next(e for e in load.engineers if e.name == "Anna Engineer")
    assert (anna.capacity_hours, anna.hours_logged) == (D("114.29"), D("9.75"))
    assert anna.utilization_percent == D("8.53")
    throughput = service.compute(session, "throughput", params, settings)
    assert (len(throughput.days), throughput.closed, throughput.per_day) == (20, 3, D("0.15"))


def test_explicit_periods_keep_their_meaning(settings):
    def period(**days: date) -> tuple[date, date]:
        params = service.make_params(settings, as_of=NOW, **days)
        return params.period.start, params.period.end

    assert period(start=date(2026, 3, 1), end=date(2026, 3, 31)) == (
        date(2026, 3, 1),
        date(2026, 3, 31),
    )
    assert period(start=date(2026, 3, 5)) == (date(2026, 3, 5), date(2026, 3, 31))
    assert period(end=date(2026, 2, 10)) == (date(2026, 2, 1), date(2026, 2, 10))


def test_profitability_is_per_period_and_to_date_is_all_time(march, session, settings):
    # a February log of Anna's (1,500/h) on P-ONE: not March's labour, but part of the margin
    # to date; April's log (R5, 5 h) counts in neither March nor "to date at March 31"
    make_work_log(session, request_id=march.requests["R1"].id, engineer_id=march.e1.id,
                  work_date=date(2026, 2, 10), hours=D("2.00"))  # fmt: skip
    march_only = service.make_params(settings, start=date(2026, 3, 1), end=date(2026, 3, 31))
    to_date = service.make_params(
        settings, start=date(2026, 3, 1), end=date(2026, 3, 31), to_date=True
    )
    one = {
        p.code: p for p in service.compute(session, "profitability", march_only, settings).projects
    }
    all_time = service.compute(session, "profitability", to_date, settings)
    assert all_time.to_date is True
    up_to_march = {p.code: p for p in all_time.projects}
    # March: (4 + 3.5 + 2.25) h x 1,500
    assert one["P-ONE"].labour == D("14625.00")
    assert up_to_march["P-ONE"].labour == D("17625.00")
    assert up_to_march["P-ONE"].margin == (
        up_to_march["P-ONE"].invoiced - up_to_march["P-ONE"].costs - D("17625.00")
    )


LONGEST_START = date(2024, 1, 1)
LONGEST_END = LONGEST_START + timedelta(days=MAX_PERIOD_DAYS - 1)


def test_the_longest_allowed_period_works_on_every_day_table_route_and_to_date_only_on_margins(
    client, auth, session
):
    # SQLite refused more than 500 UNION ALL terms: every route that builds the day table
    director = make_user(session, Role.director)
    longest = {"start": LONGEST_START.isoformat(), "end": LONGEST_END.isoformat()}
    headers = auth(director)
    for path in (
        "summary",
        "throughput",
        "open-over-time",
        "charts/closed-per-day.png",
        "charts/open-requests.png",
    ):
        response = client.get(f"/api/v1/analytics/{path}", params=longest, headers=headers)
        assert response.status_code == 200, (path, response.text[:300])
    days = client.get("/api/v1/analytics/throughput", params=longest, headers=headers).json()
    assert len(days["days"]) == MAX_PERIOD_DAYS
    too_long = {**longest, "end": (LONGEST_END + timedelta(days=1)).isoformat()}
    refused = client.get("/api/v1/analytics/throughput", params=too_long, headers=headers)
    assert refused.status_code == 422
    # to_date belongs to the margins alone
    other = client.get("/api/v1/analytics/charts/utilization.png",
                       params={**longest, "to_date": "true"}, headers=headers)  # fmt: skip
    assert other.status_code == 422
    assert "to_date applies only to the margins chart" in other.text


@pytest.fixture
def cli(settings, monkeypatch, tmp_path):
    """The CLI against the test database (migrated, empty: the tests' rows never commit)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OVERSIGHT_DATABASE__URL", settings.database.url)
    monkeypatch.setenv("OVERSIGHT_ENCRYPTION__KEYS", settings.encryption.keys.get_secret_value())
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_the_cli_summarises_the_longest_period_and_refuses_a_longer_one(cli, tmp_path):
    first, last = LONGEST_START.isoformat(), LONGEST_END.isoformat()
    summary = cli.invoke(app, ["analytics", "summary", "--start", first, "--end", last])
    assert summary.exit_code == 0, summary.output
    assert f"{first} - {last}" in summary.output
    chart = tmp_path / "closed.png"
    drawn = cli.invoke(app, ["analytics", "chart", "closed-per-day", "--out", str(chart),
                             "--start", first, "--end", last])  # fmt: skip
    assert drawn.exit_code == 0, drawn.output
    assert chart.read_bytes().startswith(b"\x89PNG")
    beyond = (LONGEST_END + timedelta(days=1)).isoformat()
    refused = cli.invoke(app, ["analytics", "summary", "--start", first, "--end", beyond])
    assert refused.exit_code == 2
    assert refused.exception is None or isinstance(refused.exception, SystemExit)
    assert refused.output.strip().splitlines()[-1] == (
        f"error: period is longer than {MAX_PERIOD_DAYS} days"
    )
    assert "Traceback" not in refused.output
