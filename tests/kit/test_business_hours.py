"""Business-hours arithmetic: every expected instant below was computed by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oversight.kit.business_hours import (
    MAX_IDLE_DAYS,
    BusinessCalendar,
    add_business_time,
    business_time_between,
    extend_for_pause,
)

MON_FRI = frozenset({1, 2, 3, 4, 5})
EVERY_DAY = frozenset(range(1, 8))
H = timedelta(hours=1)
M = timedelta(minutes=1)

NINE_TO_SIX = BusinessCalendar(ZoneInfo("UTC"), MON_FRI, time(9), time(18))
NEW_YORK = BusinessCalendar(ZoneInfo("America/New_York"), MON_FRI, time(9), time(18))
BERLIN = BusinessCalendar(ZoneInfo("Europe/Berlin"), MON_FRI, time(9), time(18))
MOSCOW = BusinessCalendar(ZoneInfo("Europe/Moscow"), MON_FRI, time(9), time(18))
NEW_YORK_ALL_DAY = BusinessCalendar(ZoneInfo("America/New_York"), EVERY_DAY, time(0), time(23, 59))
SANTIAGO_ALL_DAY = BusinessCalendar(ZoneInfo("America/Santiago"), EVERY_DAY, time(0), time(23, 59))


def utc(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0, us: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, us, tzinfo=UTC)


def local(zone: str, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(zone))


def with_holidays(calendar: BusinessCalendar, *days: date) -> BusinessCalendar:
    return BusinessCalendar(
        calendar.timezone, calendar.workdays, calendar.day_start, calendar.day_end, frozenset(days)
    )


# 2024-03-04 is a Monday; 2024-03-09/10 is a weekend.


def test_within_one_day() -> None:
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 10), 3 * H) == utc(2024, 3, 4, 13)


def test_eight_hours_from_opening_ends_the_same_afternoon() -> None:
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), 8 * H) == utc(2024, 3, 4, 17)


def test_full_working_day_ends_at_closing_not_next_morning() -> None:
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), 9 * H) == utc(2024, 3, 4, 18)


def test_duration_ending_exactly_at_day_end_stays_on_that_day() -> None:
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 16), 2 * H) == utc(2024, 3, 4, 18)


def test_crossing_the_evening_continues_next_morning() -> None:
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 17), 2 * H) == utc(2024, 3, 5, 10)


def test_start_before_opening_starts_the_clock_at_opening() -> None:
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 7, 30), H) == utc(2024, 3, 4, 10)


def test_start_after_closing_starts_the_clock_next_morning() -> None:
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 19), H) == utc(2024, 3, 5, 10)


def test_start_exactly_at_closing_starts_the_clock_next_morning() -> None:
    one_us = timedelta(microseconds=1)
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 18), one_us) == utc(
        2024, 3, 5, 9, 0, 0, 1
    )


def test_start_on_weekend_starts_the_clock_on_monday() -> None:
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 9, 12), H) == utc(2024, 3, 11, 10)


def test_friday_afternoon_rolls_over_the_weekend() -> None:
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 8, 17), 2 * H) == utc(2024, 3, 11, 10)


def test_start_on_holiday_starts_the_clock_next_working_day() -> None:
    calendar = with_holidays(NINE_TO_SIX, date(2024, 3, 4))
    assert add_business_time(calendar, utc(2024, 3, 4, 10), H) == utc(2024, 3, 5, 10)


def test_consecutive_holidays_are_all_skipped() -> None:
    calendar = with_holidays(
        NINE_TO_SIX, date(2024, 12, 24), date(2024, 12, 25), date(2024, 12, 26)
    )
    assert add_business_time(calendar, utc(2024, 12, 23, 17), 2 * H) == utc(2024, 12, 27, 10)


def test_holiday_on_friday_before_weekend_skips_three_days() -> None:
    calendar = with_holidays(NINE_TO_SIX, date(2024, 3, 29))
    assert add_business_time(calendar, utc(2024, 3, 28, 17, 30), H) == utc(2024, 4, 1, 9, 30)


def test_multi_week_duration_counts_whole_working_days() -> None:
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), 15 * 9 * H) == utc(2024, 3, 22, 18)


def test_multi_week_duration_with_a_midweek_holiday_ends_a_day_later() -> None:
    calendar = with_holidays(NINE_TO_SIX, date(2024, 3, 13))
    assert add_business_time(calendar, utc(2024, 3, 4, 9), 15 * 9 * H) == utc(2024, 3, 25, 18)


def test_four_years_of_business_hours_is_computed_exactly() -> None:
    end = datetime.combine(date(2024, 1, 1) + timedelta(weeks=200, days=-3), time(18), UTC)
    assert add_business_time(NINE_TO_SIX, utc(2024, 1, 1, 9), 1000 * 9 * H) == end


def test_arithmetic_is_exact_to_the_microsecond() -> None:
    start = utc(2024, 3, 4, 17, 59, 59, 999_999)
    duration = timedelta(hours=1, microseconds=2)
    assert add_business_time(NINE_TO_SIX, start, duration) == utc(2024, 3, 5, 10, 0, 0, 1)
    assert business_time_between(NINE_TO_SIX, start, utc(2024, 3, 5, 10, 0, 0, 1)) == duration


def test_zero_duration_inside_working_time_is_due_at_start() -> None:
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 10), timedelta(0)) == utc(2024, 3, 4, 10)


def test_zero_duration_outside_working_time_is_due_at_start_unchanged() -> None:
    start = utc(2024, 3, 9, 3, 17)
    assert add_business_time(NINE_TO_SIX, start, timedelta(0)) == start


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 10), -H)


def test_result_is_utc_even_for_local_input() -> None:
    due = add_business_time(NEW_YORK, local("America/New_York", 2024, 3, 4, 9), H)
    assert due.tzinfo is UTC
    assert due == utc(2024, 3, 4, 15)


def test_holidays_covering_everything_raise_instead_of_looping() -> None:
    days = (date(2024, 1, 1) + timedelta(days=n) for n in range(MAX_IDLE_DAYS + 10))
    calendar = with_holidays(NINE_TO_SIX, *days)
    with pytest.raises(ValueError, match="holidays"):
        add_business_time(calendar, utc(2024, 1, 1, 9), H)


def test_long_holiday_run_shorter_than_the_guard_is_skipped() -> None:
    days = [date(2024, 1, 1) + timedelta(days=n) for n in range(1000)]
    calendar = with_holidays(NINE_TO_SIX, *days)
    first_working_day = date(2026, 9, 28)  # the Monday on which the run ends
    assert days[-1] == date(2026, 9, 26)
    expected = datetime.combine(first_working_day, time(10), UTC)
    assert add_business_time(calendar, utc(2024, 1, 1, 9), H) == expected


# Company timezone differs from UTC.


def test_moscow_start_on_utc_sunday_is_local_monday_night() -> None:
    # Sun 22:30 UTC is Mon 01:30 MSK: the clock starts Mon 09:00 MSK = 06:00 UTC.
    assert add_business_time(MOSCOW, utc(2024, 3, 3, 22, 30), H) == utc(2024, 3, 4, 7)


def test_moscow_friday_evening_local_rolls_to_monday() -> None:
    # Fri 16:30 UTC is Fri 19:30 MSK, after closing.
    assert add_business_time(MOSCOW, utc(2024, 3, 8, 16, 30), H) == utc(2024, 3, 11, 7)


def test_new_york_start_on_utc_saturday_is_local_friday_evening() -> None:
    # Sat 03:30 UTC is Fri 22:30 EST: next opening is Mon 09:00 EST = 14:00 UTC.
    assert add_business_time(NEW_YORK, utc(2024, 3, 2, 3, 30), H) == utc(2024, 3, 4, 15)


def test_new_york_start_on_utc_monday_is_local_sunday_evening() -> None:
    # Mon 02:00 UTC is Sun 21:00 EST.
    assert add_business_time(NEW_YORK, utc(2024, 3, 4, 2), H) == utc(2024, 3, 4, 15)


def test_new_york_working_day_spans_two_utc_dates() -> None:
    # Mon 09:00-18:00 EST is 14:00-23:00 UTC; late in the day crosses UTC midnight.
    assert add_business_time(NEW_YORK, utc(2024, 3, 4, 22, 30), H) == utc(2024, 3, 5, 14, 30)


# DST transitions outside working hours: a working day stays 9 hours of real time.


def test_new_york_spring_forward_weekend() -> None:
    # Fri Mar 8 17:00 EST = 22:00 UTC; 1h to 18:00 EST; Mon Mar 11 09:00 EDT = 13:00 UTC.
    assert add_business_time(NEW_YORK, utc(2024, 3, 8, 22), 2 * H) == utc(2024, 3, 11, 14)


def test_new_york_fall_back_weekend() -> None:
    # Fri Nov 1 17:00 EDT = 21:00 UTC; Mon Nov 4 09:00 EST = 14:00 UTC.
    assert add_business_time(NEW_YORK, utc(2024, 11, 1, 21), 2 * H) == utc(2024, 11, 4, 15)


def test_new_york_business_time_across_spring_forward_is_whole_days() -> None:
    start = local("America/New_York", 2024, 3, 8, 9)
    end = local("America/New_York", 2024, 3, 11, 18)
    assert business_time_between(NEW_YORK, start, end) == 18 * H


def test_berlin_spring_forward_weekend() -> None:
    # Fri Mar 29 17:00 CET = 16:00 UTC; Mon Apr 1 09:00 CEST = 07:00 UTC.
    assert add_business_time(BERLIN, utc(2024, 3, 29, 16), 2 * H) == utc(2024, 4, 1, 8)


def test_berlin_fall_back_weekend() -> None:
    # Fri Oct 25 17:00 CEST = 15:00 UTC; Mon Oct 28 09:00 CET = 08:00 UTC.
    assert add_business_time(BERLIN, utc(2024, 10, 25, 15), 2 * H) == utc(2024, 10, 28, 9)


def test_berlin_sunday_shift_on_transition_day_is_still_nine_hours() -> None:
    calendar = BusinessCalendar(ZoneInfo("Europe/Berlin"), EVERY_DAY, time(9), time(18))
    day_start = local("Europe/Berlin", 2024, 3, 31)
    assert business_time_between(calendar, day_start, day_start + 24 * H) == 9 * H
    assert add_business_time(calendar, day_start, 9 * H) == utc(2024, 3, 31, 16)


# DST transitions inside working hours: real elapsed time counts.


def test_spring_forward_inside_working_hours_counts_real_time() -> None:
    day = (utc(2024, 3, 10, 5), utc(2024, 3, 11, 4))  # 00:00 EST .. 00:00 EDT
    assert business_time_between(NEW_YORK_ALL_DAY, *day) == 22 * H + 59 * M


def test_fall_back_inside_working_hours_counts_real_time() -> None:
    day = (utc(2024, 11, 3, 4), utc(2024, 11, 4, 5))  # 00:00 EDT .. 00:00 EST
    assert business_time_between(NEW_YORK_ALL_DAY, *day) == 24 * H + 59 * M


def test_deadline_across_spring_forward_is_real_elapsed_time() -> None:
    # 01:00 EST + 2h of real time is 04:00 EDT (08:00 UTC), not 03:00 wall clock.
    assert add_business_time(NEW_YORK_ALL_DAY, utc(2024, 3, 10, 6), 2 * H) == utc(2024, 3, 10, 8)


def test_deadline_across_fall_back_lands_in_the_repeated_hour() -> None:
    # 00:30 EDT + 2h of real time is the second 01:30, i.e. 01:30 EST = 06:30 UTC.
    start = local("America/New_York", 2024, 11, 3, 0, 30)
    due = add_business_time(NEW_YORK_ALL_DAY, start, 2 * H)
    assert due == utc(2024, 11, 3, 6, 30)
    # PEP 495: inter-zone == with a repeated-hour time is always False, so compare local parts.
    wall = due.astimezone(ZoneInfo("America/New_York"))
    assert (wall.hour, wall.minute, wall.fold, wall.utcoffset()) == (1, 30, 1, -5 * H)


def test_santiago_midnight_spring_forward_day_starts_at_one_oclock() -> None:
    # Sep 8 00:00 does not exist (clocks jump 00:00 -04 -> 01:00 -03); fold=0 reads it with
    # the old offset, 04:00 UTC. Sep 7 ends 23:59 -04 = 03:59 UTC.
    start = utc(2024, 9, 8, 3)  # Sep 7 23:00 -04
    assert add_business_time(SANTIAGO_ALL_DAY, start, 90 * M) == utc(2024, 9, 8, 4, 31)
    sep_8 = (utc(2024, 9, 8, 4), utc(2024, 9, 9, 3))
    assert business_time_between(SANTIAGO_ALL_DAY, *sep_8) == 22 * H + 59 * M


def test_santiago_midnight_fall_back_repeated_hour_is_not_worked_twice() -> None:
    # Apr 6 23:59 is ambiguous; fold=0 takes the first one (-03, 02:59 UTC Apr 7). The
    # repeated 23:00-24:00 (-04, 03:00-04:00 UTC) is after the day's end.
    start = utc(2024, 4, 7, 2, 30)  # Apr 6 23:30 -03
    assert add_business_time(SANTIAGO_ALL_DAY, start, H) == utc(2024, 4, 7, 4, 31)
    apr_6 = (utc(2024, 4, 6, 3), utc(2024, 4, 7, 4))
    assert business_time_between(SANTIAGO_ALL_DAY, *apr_6) == 23 * H + 59 * M


def test_working_hours_inside_the_skipped_hour_contribute_nothing() -> None:
    # 02:30 (non-existent, read as EST = 07:30 UTC) to 03:15 EDT (07:15 UTC) is empty.
    calendar = BusinessCalendar(ZoneInfo("America/New_York"), EVERY_DAY, time(2, 30), time(3, 15))
    three_days = (utc(2024, 3, 9, 5), utc(2024, 3, 12, 4))
    assert business_time_between(calendar, *three_days) == 90 * M
    start = local("America/New_York", 2024, 3, 9, 3)
    assert add_business_time(calendar, start, 30 * M) == utc(2024, 3, 11, 6, 45)


# working_intervals and is_working_day


def test_is_working_day_excludes_weekends_and_holidays() -> None:
    calendar = with_holidays(NINE_TO_SIX, date(2024, 3, 5))
    assert calendar.is_working_day(date(2024, 3, 4))
    assert not calendar.is_working_day(date(2024, 3, 5))
    assert not calendar.is_working_day(date(2024, 3, 9))


def test_working_intervals_are_clipped_utc_local_days() -> None:
    intervals = list(NEW_YORK.working_intervals(utc(2024, 3, 8, 20), utc(2024, 3, 12, 14)))
    assert intervals == [
        (utc(2024, 3, 8, 20), utc(2024, 3, 8, 23)),
        (utc(2024, 3, 11, 13), utc(2024, 3, 11, 22)),
        (utc(2024, 3, 12, 13), utc(2024, 3, 12, 14)),
    ]
    assert all(lo.tzinfo is UTC and hi.tzinfo is UTC for lo, hi in intervals)


def test_working_intervals_of_an_empty_range_is_empty() -> None:
    assert list(NINE_TO_SIX.working_intervals(utc(2024, 3, 4, 12), utc(2024, 3, 4, 12))) == []


def test_business_time_between_reversed_range_is_zero() -> None:
    assert business_time_between(NINE_TO_SIX, utc(2024, 3, 5), utc(2024, 3, 4)) == timedelta(0)


def test_business_time_between_over_a_weekend_is_zero() -> None:
    assert business_time_between(NINE_TO_SIX, utc(2024, 3, 8, 18), utc(2024, 3, 11, 9)) == (
        timedelta(0)
    )


# Pauses


def test_pause_inside_a_working_day_delays_by_its_length() -> None:
    pauses = [(utc(2024, 3, 4, 10), utc(2024, 3, 4, 11, 30))]
    due = add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), 4 * H, pauses)
    assert due == utc(2024, 3, 4, 14, 30)


def test_pause_spanning_a_night_delays_by_its_business_time_only() -> None:
    pauses = [(utc(2024, 3, 4, 17), utc(2024, 3, 5, 10))]  # 1h Monday + 1h Tuesday
    due = add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), 10 * H, pauses)
    assert due == utc(2024, 3, 5, 12)


def test_pause_starting_before_start_only_counts_after_start() -> None:
    pauses = [(utc(2024, 3, 3, 12), utc(2024, 3, 4, 10))]
    due = add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), 2 * H, pauses)
    assert due == utc(2024, 3, 4, 12)


def test_overlapping_unsorted_pauses_count_their_union_once() -> None:
    pauses = [
        (utc(2024, 3, 4, 10, 30), utc(2024, 3, 4, 12)),
        (utc(2024, 3, 4, 10), utc(2024, 3, 4, 11)),
        (utc(2024, 3, 4, 10, 45), utc(2024, 3, 4, 11)),
    ]
    due = add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), 4 * H, pauses)
    assert due == utc(2024, 3, 4, 15)


def test_adjacent_pauses_behave_like_one() -> None:
    split = [(utc(2024, 3, 4, 10), utc(2024, 3, 4, 11)), (utc(2024, 3, 4, 11), utc(2024, 3, 4, 12))]
    whole = [(utc(2024, 3, 4, 10), utc(2024, 3, 4, 12))]
    start = utc(2024, 3, 4, 9)
    assert add_business_time(NINE_TO_SIX, start, 4 * H, split) == utc(2024, 3, 4, 15)
    assert add_business_time(NINE_TO_SIX, start, 4 * H, whole) == utc(2024, 3, 4, 15)


def test_pause_entirely_in_a_weekend_changes_nothing() -> None:
    pauses = [(utc(2024, 3, 9), utc(2024, 3, 10, 23))]
    due = add_business_time(NINE_TO_SIX, utc(2024, 3, 8, 17), 2 * H, pauses)
    assert due == utc(2024, 3, 11, 10)


def test_pause_after_the_deadline_changes_nothing() -> None:
    pauses = [(utc(2024, 3, 4, 12), utc(2024, 3, 4, 13))]
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), 2 * H, pauses) == utc(2024, 3, 4, 11)


def test_deadline_reached_exactly_when_a_pause_begins_is_the_pause_start() -> None:
    pauses = [(utc(2024, 3, 4, 11), utc(2024, 3, 4, 13))]
    assert add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), 2 * H, pauses) == utc(2024, 3, 4, 11)


def test_pause_in_local_time_is_converted() -> None:
    pauses = [
        (local("America/New_York", 2024, 3, 4, 10), local("America/New_York", 2024, 3, 4, 11))
    ]
    due = add_business_time(NEW_YORK, local("America/New_York", 2024, 3, 4, 9), 2 * H, pauses)
    assert due == utc(2024, 3, 4, 17)


def test_open_ended_pause_makes_the_deadline_unknown() -> None:
    pauses = [(utc(2024, 3, 4, 10), None)]
    with pytest.raises(ValueError, match="not ended"):
        add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), 2 * H, pauses)


def test_open_ended_pause_counts_as_paused_until_the_end_in_business_time_between() -> None:
    pauses = [(utc(2024, 3, 4, 10), None)]
    elapsed = business_time_between(NINE_TO_SIX, utc(2024, 3, 4, 9), utc(2024, 3, 6, 12), pauses)
    assert elapsed == H


def test_pause_ending_before_it_starts_is_rejected() -> None:
    pauses = [(utc(2024, 3, 4, 11), utc(2024, 3, 4, 10))]
    with pytest.raises(ValueError, match="before it starts"):
        add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), 2 * H, pauses)


def test_business_time_between_subtracts_pauses() -> None:
    pauses = [(utc(2024, 3, 4, 17), utc(2024, 3, 5, 10)), (utc(2024, 3, 9), utc(2024, 3, 10))]
    assert business_time_between(NINE_TO_SIX, utc(2024, 3, 4), utc(2024, 3, 6), pauses) == 16 * H


# extend_for_pause


def test_extend_for_pause_before_due_shifts_by_the_paused_business_time() -> None:
    due = utc(2024, 3, 4, 17)  # Mon 09:00 + 8h
    extended = extend_for_pause(NINE_TO_SIX, due, utc(2024, 3, 4, 10), utc(2024, 3, 4, 12))
    assert extended == utc(2024, 3, 5, 10)
    assert business_time_between(NINE_TO_SIX, due, extended) == 2 * H


def test_extend_for_pause_spanning_a_night() -> None:
    due = utc(2024, 3, 5, 12)
    extended = extend_for_pause(NINE_TO_SIX, due, utc(2024, 3, 4, 17), utc(2024, 3, 5, 10))
    assert extended == utc(2024, 3, 5, 14)


def test_extend_for_pause_over_a_weekend_without_business_time_keeps_due() -> None:
    due = utc(2024, 3, 11, 12)
    extended = extend_for_pause(NINE_TO_SIX, due, utc(2024, 3, 8, 18, 30), utc(2024, 3, 11, 8))
    assert extended == due


def test_extend_for_pause_after_due_leaves_it_unchanged() -> None:
    due = utc(2024, 3, 4, 17)
    extended = extend_for_pause(NINE_TO_SIX, due, utc(2024, 3, 4, 17, 30), utc(2024, 3, 6, 9))
    assert extended == due


def test_extend_for_pause_starting_exactly_at_due_leaves_it_unchanged() -> None:
    due = utc(2024, 3, 4, 17)
    assert extend_for_pause(NINE_TO_SIX, due, due, utc(2024, 3, 6, 9)) == due


def test_extend_for_pause_never_moves_an_off_hours_due_earlier() -> None:
    due = utc(2024, 3, 9, 12)  # a Saturday, e.g. set by hand
    friday = utc(2024, 3, 8, 17)
    assert extend_for_pause(NINE_TO_SIX, due, friday, friday) == due


def test_extend_for_pause_rejects_resume_before_pause() -> None:
    with pytest.raises(ValueError, match="before paused_at"):
        extend_for_pause(NINE_TO_SIX, utc(2024, 3, 5), utc(2024, 3, 4, 12), utc(2024, 3, 4, 11))


# Validation


def test_naive_start_is_rejected() -> None:
    with pytest.raises(ValueError, match="naive datetime: start"):
        add_business_time(NINE_TO_SIX, datetime(2024, 3, 4, 9), H)


def test_naive_end_is_rejected_by_business_time_between() -> None:
    with pytest.raises(ValueError, match="naive datetime: end"):
        business_time_between(NINE_TO_SIX, utc(2024, 3, 4), datetime(2024, 3, 5))


def test_naive_pause_is_rejected() -> None:
    pauses = [(datetime(2024, 3, 4, 10), utc(2024, 3, 4, 11))]
    with pytest.raises(ValueError, match="naive datetime"):
        add_business_time(NINE_TO_SIX, utc(2024, 3, 4, 9), H, pauses)


def test_naive_datetimes_are_rejected_by_working_intervals_and_extend_for_pause() -> None:
    with pytest.raises(ValueError, match="naive datetime"):
        list(NINE_TO_SIX.working_intervals(datetime(2024, 3, 4), utc(2024, 3, 5)))
    with pytest.raises(ValueError, match="naive datetime: due"):
        extend_for_pause(NINE_TO_SIX, datetime(2024, 3, 5), utc(2024, 3, 4), utc(2024, 3, 4))


def test_calendar_with_day_end_equal_to_day_start_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"day_end .* must be after day_start"):
        BusinessCalendar(ZoneInfo("UTC"), MON_FRI, time(9), time(9))


def test_calendar_with_day_end_before_day_start_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"day_end .* must be after day_start"):
        BusinessCalendar(ZoneInfo("UTC"), MON_FRI, time(18), time(9))


def test_calendar_with_no_workdays_is_rejected() -> None:
    with pytest.raises(ValueError, match="calendar has no working days"):
        BusinessCalendar(ZoneInfo("UTC"), frozenset(), time(9), time(18))


def test_calendar_with_invalid_weekday_number_is_rejected() -> None:
    with pytest.raises(ValueError, match="ISO weekdays"):
        BusinessCalendar(ZoneInfo("UTC"), frozenset({0, 1}), time(9), time(18))


# Properties

CALENDARS = st.sampled_from(
    [
        with_holidays(NINE_TO_SIX, date(2024, 12, 25), date(2024, 12, 26), date(2025, 1, 1)),
        NEW_YORK,
        BERLIN,
        MOSCOW,
        NEW_YORK_ALL_DAY,
        SANTIAGO_ALL_DAY,
        BusinessCalendar(ZoneInfo("America/New_York"), EVERY_DAY, time(1), time(4)),
        BusinessCalendar(ZoneInfo("Asia/Beirut"), frozenset({1, 3, 6}), time(0), time(0, 30)),
    ]
)
STARTS = st.datetimes(
    min_value=datetime(2023, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
DURATIONS = st.timedeltas(min_value=timedelta(0), max_value=200 * H)
PAUSES = st.lists(
    st.tuples(
        st.timedeltas(min_value=-48 * H, max_value=1000 * H),
        st.timedeltas(min_value=timedelta(0), max_value=72 * H),
    ),
    max_size=4,
)
PROPERTY = settings(max_examples=200, deadline=None)


@PROPERTY
@given(CALENDARS, STARTS, DURATIONS)
def test_business_time_between_inverts_add_business_time(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    due = add_business_time(calendar, start, duration)
    assert business_time_between(calendar, start, due) == duration


@PROPERTY
@given(CALENDARS, STARTS, DURATIONS, PAUSES)
def test_business_time_between_inverts_add_business_time_with_pauses(
    calendar: BusinessCalendar,
    start: datetime,
    duration: timedelta,
    offsets: list[tuple[timedelta, timedelta]],
) -> None:
    pauses = [(start + offset, start + offset + length) for offset, length in offsets]
    due = add_business_time(calendar, start, duration, pauses)
    assert business_time_between(calendar, start, due, pauses) == duration


@PROPERTY
@given(CALENDARS, STARTS, DURATIONS, DURATIONS)
def test_larger_durations_never_give_earlier_deadlines(
    calendar: BusinessCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    shorter, longer = sorted((a, b))
    assert add_business_time(calendar, start, shorter) <= add_business_time(calendar, start, longer)


@PROPERTY
@given(CALENDARS, STARTS, DURATIONS.filter(lambda d: d > timedelta(0)))
def test_positive_deadline_is_in_working_time_or_at_a_day_end(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    due = add_business_time(calendar, start, duration)
    nearby = calendar.working_intervals(due - 48 * H, due + 48 * H)
    assert any(lo < due <= hi for lo, hi in nearby)


@PROPERTY
@given(CALENDARS, STARTS, STARTS, STARTS)
def test_business_time_between_is_additive(
    calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted((a, b, c))
    if c - a > 60 * 24 * H:
        c = a + 60 * 24 * H
        b = min(b, c)
    whole = business_time_between(calendar, a, c)
    assert whole == business_time_between(calendar, a, b) + business_time_between(calendar, b, c)


@PROPERTY
@given(CALENDARS, STARTS, DURATIONS, PAUSES.filter(bool))
def test_extend_for_pause_matches_counting_the_pause_from_the_start(
    calendar: BusinessCalendar,
    start: datetime,
    duration: timedelta,
    offsets: list[tuple[timedelta, timedelta]],
) -> None:
    offset, length = offsets[0]
    paused_at = start + abs(offset)
    resumed_at = paused_at + length
    due = add_business_time(calendar, start, duration)
    extended = extend_for_pause(calendar, due, paused_at, resumed_at)
    assert extended == add_business_time(calendar, start, duration, [(paused_at, resumed_at)])
