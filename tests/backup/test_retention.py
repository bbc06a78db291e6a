"""Retention as restic `forget` plans it (BACKUPS.md 1-9), on the pure planning function."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.backup.retention import Candidate, Policy, plan, week_key

MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def daily(first: date, last: date, at: time = time(1, 30)) -> list[Candidate]:
    """One verified backup a day at `at` local time, first..last inclusive."""
    out, day = [], first
    while day <= last:
        moment = datetime.combine(day, at, MOSCOW).astimezone(UTC)
        out.append(Candidate(day.isoformat(), moment))
        day += timedelta(days=1)
    return out


@pytest.mark.parametrize(("day", "key"), [
    (date(2024, 12, 29), "2024-W52"),
    (date(2024, 12, 30), "2025-W01"),
    (date(2021, 1, 3), "2020-W53"),
    (date(2021, 1, 4), "2021-W01"),
    (date(2020, 12, 31), "2020-W53"),
    (date(2026, 1, 1), "2026-W01"),
])  # fmt: skip
def test_iso_week_keys(day, key):
    assert week_key(day) == key


def test_two_years_of_daily_backups_keep_exactly_this_set():
    backups = daily(date(2024, 12, 3), date(2026, 12, 2))
    result = plan(backups, Policy(7, 4, 12), timezone=MOSCOW, now=NOW)
    expected = {
        # daily 7
        "2026-11-26", "2026-11-27", "2026-11-28", "2026-11-29", "2026-11-30", "2026-12-01",
        "2026-12-02",
        # weekly 4: 2026-W49 (12-02), W48 (11-29, also daily), W47, W46
        "2026-11-22", "2026-11-15",
        # monthly 12: December and November are already kept; then month ends back to January
        "2026-10-31", "2026-09-30", "2026-08-31", "2026-07-31", "2026-06-30", "2026-05-31",
        "2026-04-30", "2026-03-31", "2026-02-28", "2026-01-31",
    }  # fmt: skip
    assert set(result.keep) == expected
    assert len(result.remove) == len(backups) - 19
    assert result.keep["2026-12-02"] == ["daily 2026-12-02", "weekly 2026-W49", "monthly 2026-12"]
    assert result.keep["2026-11-22"] == ["weekly 2026-W47"]


def test_daily_seven_and_weekly_four_keep_seven_plus_two_on_a_wednesday():
    """Rules are independent (restic): the weekly rule spends counts on weeks the daily rule
    already covers. Pinned: ending on Wednesday 2026-12-02, 7 + 2 backups."""
    backups = daily(date(2026, 9, 1), date(2026, 12, 2))
    result = plan(backups, Policy(7, 4, 0), timezone=MOSCOW, now=NOW)
    assert len(result.keep) == 9


def test_periods_without_backups_are_skipped_not_counted():
    backups = [
        b for b in daily(date(2026, 1, 1), date(2026, 12, 2)) if b.id[5:7] not in {"10", "11"}
    ]
    result = plan(backups, Policy(0, 0, 3), timezone=MOSCOW, now=NOW)
    assert set(result.keep) == {"2026-12-02", "2026-09-30", "2026-08-31"}


def test_keep_oldest_when_a_rule_has_counts_left():
    backups = daily(date(2026, 12, 1), date(2026, 12, 2))
    result = plan(backups, Policy(0, 0, 5), timezone=MOSCOW, now=NOW)
    assert set(result.keep) == {"2026-12-01", "2026-12-02"}
    assert result.keep["2026-12-01"] == ["oldest (monthly has 4 left)"]


def test_an_all_zero_policy_deletes_nothing():
    backups = daily(date(2026, 1, 1), date(2026, 12, 2))
    result = plan(backups, Policy(0, 0, 0), timezone=MOSCOW, now=NOW)
    assert result.remove == {}
    assert len(result.keep) == len(backups)


def test_periods_are_local_days_whatever_the_utc_date():
    # 23:30 UTC on 1 Dec is 02:30 on 2 Dec in Moscow: both are the same local day.
    a = Candidate("a", datetime(2026, 12, 1, 23, 30, tzinfo=UTC))
    b = Candidate("b", datetime(2026, 12, 2, 8, 0, tzinfo=UTC))
    assert set(plan([a, b], Policy(1, 0, 0), timezone=MOSCOW, now=NOW).keep) == {"b"}


def test_garbage_newer_objects_in_each_of_the_last_four_weeks_delete_no_verified_backup():
    backups = daily(date(2026, 6, 1), date(2026, 12, 2))
    baseline = plan(backups, Policy(7, 4, 12), timezone=MOSCOW, now=NOW)
    garbage = [
        Candidate(f"garbage-{n}", datetime(2026, 12, 2, 23, 0, tzinfo=UTC) - timedelta(weeks=n),
                  verified=False)
        for n in range(4)
    ]  # fmt: skip
    future = [Candidate("future", NOW + timedelta(days=30))]
    result = plan(backups + garbage + future, Policy(7, 4, 12), timezone=MOSCOW, now=NOW)
    assert {k for k in result.keep if k in baseline.keep} == set(baseline.keep)
    assert set(result.remove) == set(baseline.remove)
    assert all(g.id in result.keep for g in garbage)
    assert "future" in result.keep


moments = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
)
candidates = st.lists(
    st.builds(Candidate, st.uuids().map(str), moments, st.booleans()), max_size=80,
    unique_by=lambda c: c.id,
)  # fmt: skip
policies = st.builds(Policy, st.integers(0, 10), st.integers(0, 10), st.integers(0, 15))


@settings(max_examples=300, deadline=None)
@given(candidates, policies)
def test_keep_and_remove_partition_every_backup(backups, policy):
    result = plan(backups, policy, timezone=MOSCOW, now=NOW)
    assert set(result.keep) | set(result.remove) == {b.id for b in backups}
    assert not set(result.keep) & set(result.remove)


@settings(max_examples=300, deadline=None)
@given(candidates, policies)
def test_kept_verified_backups_never_exceed_the_sum_of_counts(backups, policy):
    result = plan(backups, policy, timezone=MOSCOW, now=NOW)
    counted = {b.id for b in backups if b.verified and b.time <= NOW}
    if not policy.empty:
        assert len(set(result.keep) & counted) <= policy.daily + policy.weekly + policy.monthly
    removed = {b.id: b for b in backups if b.id in result.remove}
    assert all(b.verified for b in removed.values())


@settings(max_examples=200, deadline=None)
@given(candidates, policies, candidates)
def test_unverified_objects_never_cause_a_verified_backup_to_go(backups, policy, junk):
    verified = [b for b in backups if b.verified]
    unverified = [Candidate("j" + j.id, j.time, False) for j in junk]
    alone = plan(verified, policy, timezone=MOSCOW, now=NOW)
    mixed = plan(verified + unverified, policy, timezone=MOSCOW, now=NOW)
    assert set(mixed.remove) == set(alone.remove)
