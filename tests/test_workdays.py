"""Working-day arithmetic on the official calendar (调休 included): properties against chinese-calendar itself."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.evaluate.workdays import WorkCalendar, YearSchedule

CAL = WorkCalendar()
FIRST = dt.date(CAL.first_year, 1, 1)
LAST = dt.date(CAL.last_year, 12, 31)
days = st.dates(min_value=FIRST, max_value=LAST)


def brute_force(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``, one library call per day."""
    n, d = 0, start
    while d < end:
        d += dt.timedelta(days=1)
        n += chinese_calendar.is_workday(d)
    return n


@settings(max_examples=300, deadline=None)
@given(start=days, span=st.integers(min_value=0, max_value=120))
def test_between_matches_the_library_day_by_day(start, span):
    end = min(LAST, start + dt.timedelta(days=span))
    assert CAL.workdays_between(start, end) == brute_force(start, end)
    assert CAL.workdays_between(end, start) == -CAL.workdays_between(start, end)


@settings(max_examples=300, deadline=None)
@given(a=days, b=days, c=days)
def test_between_is_additive(a, b, c):
    assert CAL.workdays_between(a, c) == CAL.workdays_between(a, b) + CAL.workdays_between(b, c)


@settings(max_examples=300, deadline=None)
@given(start=st.dates(min_value=FIRST, max_value=LAST - dt.timedelta(days=200)), n=st.integers(min_value=1, max_value=60))
def test_add_workdays_lands_on_the_nth_working_day(start, n):
    day = CAL.add_workdays(start, n)
    assert chinese_calendar.is_workday(day)
    assert CAL.workdays_between(start, day) == n
    assert CAL.workdays_between(start, day - dt.timedelta(days=1)) == n - 1


def test_national_day_2023_with_make_up_saturday_and_sunday():
    # 2023-09-29 .. 10-06 off; Saturday 10-07 and Sunday 10-08 are make-up working days (调休上班).
    assert CAL.add_workdays(dt.date(2023, 9, 28), 1) == dt.date(2023, 10, 7)
    assert CAL.workdays_between(dt.date(2023, 9, 28), dt.date(2023, 10, 8)) == 2
    assert CAL.workdays_between(dt.date(2023, 9, 28), dt.date(2023, 10, 9)) == 3


def test_extra_schedule_beyond_the_library():
    year = CAL.last_year + 1
    jan1, jan2 = dt.date(year, 1, 1), dt.date(year, 1, 2)
    saturday = next(dt.date(year, 1, d) for d in range(1, 8) if dt.date(year, 1, d).weekday() == 5)
    cal = WorkCalendar([YearSchedule(year, holidays={jan1, jan2}, workdays={saturday})])
    weekdays = sum(1 for d in range(1, 32) if dt.date(year, 1, d).weekday() < 5)
    expected = weekdays - sum(1 for d in (jan1, jan2) if d.weekday() < 5) + 1
    assert cal.workdays_between(dt.date(year - 1, 12, 31), dt.date(year, 1, 31)) == expected
    assert not cal.is_workday(jan1) and cal.is_workday(saturday)
