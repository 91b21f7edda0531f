"""The review clock: working days on the official calendar, paused while the firm holds it."""

from __future__ import annotations

from datetime import UTC, date, datetime

from workflow.clock import add_working_days, is_working_day, review_clock, working_days


def utc(y: int, m: int, d: int, h: int = 2) -> datetime:
    return datetime(y, m, d, h, tzinfo=UTC)


def test_official_calendar() -> None:
    assert not is_working_day(date(2026, 10, 1))  # 国庆节 National Day
    assert not is_working_day(date(2026, 2, 17))  # 春节 Spring Festival
    assert is_working_day(date(2026, 2, 14))  # Saturday made a working day (调休)
    assert not is_working_day(date(2026, 3, 7))  # an ordinary Saturday
    assert is_working_day(date(2026, 3, 9))


def test_counting_starts_the_day_after() -> None:
    # Monday 2026-03-02 accepted; Friday 03-06 -> 4 working days; next Monday -> 5
    assert working_days(utc(2026, 3, 2), utc(2026, 3, 6)) == 4
    assert working_days(utc(2026, 3, 2), utc(2026, 3, 9)) == 5
    assert add_working_days(date(2026, 3, 2), 10) == date(2026, 3, 16)


def test_china_time_decides_the_date() -> None:
    # 17:00 UTC on 03-02 is 01:00 on 03-03 in Beijing
    assert working_days(datetime(2026, 3, 2, 17, tzinfo=UTC), utc(2026, 3, 3)) == 0


def test_time_held_by_the_firm_does_not_count() -> None:
    periods = [(utc(2026, 3, 2), utc(2026, 3, 6)),  # 4 days with the agency, then returned
               (utc(2026, 3, 20), None)]  # two weeks with the firm, accepted again
    c = review_clock(periods, large_works=False, now=utc(2026, 3, 24))
    assert c.used == 4 + 2 and c.running and not c.overdue and c.limit == 10
    assert c.due == add_working_days(date(2026, 3, 20), 6)
    late = review_clock(periods, large_works=False, now=utc(2026, 4, 10))
    assert late.overdue and late.remaining < 0
    assert not review_clock(periods, large_works=True, now=utc(2026, 4, 3)).overdue
