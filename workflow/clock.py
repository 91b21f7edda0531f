"""The review clock in working days (施工图审查时限).

15 working days for 一级以上 buildings and large municipal works, 10 for others, counted from
the day after the agency accepts the set (受理) and excluding the time the design firm holds it
(between a return and the next acceptance).  Working days follow the official Chinese calendar
from the ``holidays`` package: public holidays off, make-up working weekends (调休) on.  Dates
are taken in China time (UTC+8) whatever the server's zone.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from functools import lru_cache

CHINA_TZ = timezone(timedelta(hours=8), "CST")
LIMIT_LARGE = 15
LIMIT_OTHER = 10


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_time(text: str) -> datetime:
    """An ISO date or date-time a person typed; without a zone it is Beijing time (UTC+8)."""
    from storage.display import quote
    from storage.errors import InvalidInput

    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"无效的时间 invalid date/time {quote(text)} "
                           "(ISO, e.g. 2026-05-01T12:00)") from None
    return when if when.tzinfo else when.replace(tzinfo=CHINA_TZ)


def china_date(when: datetime) -> date:
    return when.astimezone(CHINA_TZ).date()


@lru_cache(maxsize=64)
def _calendar(year: int):  # type: ignore[no-untyped-def]
    import holidays

    return holidays.China(years=year)


def is_working_day(day: date) -> bool:
    return bool(_calendar(day.year).is_working_day(day))


def working_days(start: datetime, end: datetime) -> int:
    """Working days strictly after ``start``'s date up to and including ``end``'s date."""
    d0, d1 = china_date(start), china_date(end)
    n, d = 0, d0 + timedelta(days=1)
    while d <= d1:
        n += is_working_day(d)
        d += timedelta(days=1)
    return n


def add_working_days(start: date, days: int) -> date:
    """The date on which ``days`` working days after ``start`` have passed."""
    d, left = start, days
    while left > 0:
        d += timedelta(days=1)
        left -= is_working_day(d)
    return d


def limit_for(large_works: bool) -> int:
    return LIMIT_LARGE if large_works else LIMIT_OTHER


@dataclass(frozen=True)
class ReviewClock:
    limit: int
    used: int
    running: bool
    due: date | None

    @property
    def remaining(self) -> int:
        return self.limit - self.used

    @property
    def overdue(self) -> bool:
        return self.used > self.limit

    def to_dict(self) -> dict[str, object]:
        return {"limit": self.limit, "used": self.used, "remaining": self.remaining,
                "running": self.running, "overdue": self.overdue,
                "due": self.due.isoformat() if self.due else None}


def review_clock(periods: Iterable[tuple[datetime, datetime | None]], *, large_works: bool,
                 now: datetime) -> ReviewClock:
    """``periods`` are (accepted, ended-or-None) spans in which the agency held the set."""
    limit = limit_for(large_works)
    used, running, due = 0, False, None
    for start, end in periods:
        used += working_days(start, end or now)
        if end is None:
            running = True
            base = used - working_days(start, now)
            due = add_working_days(china_date(start), max(limit - base, 0))
    return ReviewClock(limit, used, running, due)
