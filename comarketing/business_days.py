"""The business-day rule for deadlines: "end of the n-th business day in the deciding company's
zone".

A company works in its IANA time zone and, when it names a country, observes that country's
national public holidays (the ``holidays`` package; regional holidays are not counted, since a
company names a country, not a region). Monday to Friday count unless a public holiday falls
on them. The day something is sent never counts (it is partly gone); a window of ``n`` days
ends at the company's midnight after the n-th business day that follows. Sent on Sunday 6 Dec
2026 with two days, a review is due at the end of Tuesday 8 Dec in that company's zone.

Pure: no database. ``comarketing.accounts.work_days`` reads the companies' zones, countries and
windows and calls this.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from comarketing.timezones import UTC_ZONE


@lru_cache(maxsize=1)
def supported_countries() -> frozenset[str]:
    """The ISO alpha-2 codes whose public holidays are known (the package lists alpha-3 too)."""
    return frozenset(code for code in holidays.list_supported_countries() if len(code) == 2)


@lru_cache(maxsize=512)
def public_holidays(country: str, year: int) -> frozenset[date]:
    """The national public holidays of ``country`` (ISO alpha-2) in ``year``; none for ""."""
    if not country or country not in supported_countries():
        return frozenset()
    return frozenset(holidays.country_holidays(country, years=year))


@dataclass(frozen=True)
class WorkCalendar:
    """Where and when one company works."""

    zone: ZoneInfo = field(default=UTC_ZONE)
    country: str = ""

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in public_holidays(self.country, day.year)

    def business_day_after(self, day: date, n: int) -> date:
        """The n-th business day after ``day`` (``day`` itself never counts); ``day`` for 0."""
        remaining = n
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_business_day(day):
                remaining -= 1
        return day

    def end_of(self, day: date) -> datetime:
        """The company's midnight after ``day``, in UTC. Where a zone skips that midnight (a
        few zones change clocks at 00:00), the first moment of the next day is used."""
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone).astimezone(UTC)

    def deadline(self, start: datetime, days: int) -> datetime:
        """The end of the ``days``-th business day after the local day of ``start``."""
        local_day = start.astimezone(self.zone).date()
        return self.end_of(self.business_day_after(local_day, days))

    def business_days_between(self, start: datetime, end: datetime) -> int:
        """Whole business days after the local day of ``start`` that have ended by ``end``."""
        count, day = 0, start.astimezone(self.zone).date()
        while True:
            day += timedelta(days=1)
            if self.end_of(day) > end:
                return count
            if self.is_business_day(day):
                count += 1


def latest_deadline(start: datetime, windows: Iterable[tuple[WorkCalendar, int]]) -> datetime:
    """One deadline for several deciding companies: the latest of each one's own, so none gets
    less time than it configured in its own calendar."""
    return max(calendar.deadline(start, days) for calendar, days in windows)


def due_within_a_business_day(
    now: datetime, due: datetime, calendars: Iterable[WorkCalendar]
) -> bool:
    """Whether ``due`` comes by the end of the next business day for any of these companies
    (when a reminder is sent)."""
    return any(calendar.deadline(now, 1) >= due for calendar in calendars)
