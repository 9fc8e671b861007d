"""The business-day rule for review deadlines: Monday to Friday count, weekends do not."""

from __future__ import annotations

from datetime import datetime, timedelta


def is_business_day(moment: datetime) -> bool:
    return moment.weekday() < 5


def add_business_days(start: datetime, days: int) -> datetime:
    """The same time of day, ``days`` business days later.

    Something sent at the weekend is treated as sent at the start of Monday, so a revision
    sent on Saturday is due on Wednesday at midnight with the default of two days.
    """
    moment = start
    if not is_business_day(moment):
        while not is_business_day(moment):
            moment += timedelta(days=1)
        moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    remaining = days
    while remaining > 0:
        moment += timedelta(days=1)
        if is_business_day(moment):
            remaining -= 1
    return moment


def business_days_between(start: datetime, end: datetime) -> int:
    """Whole business days from ``start`` to ``end`` (0 when end is not after start)."""
    count = 0
    moment = start
    while True:
        moment += timedelta(days=1)
        if moment > end:
            return count
        if is_business_day(moment):
            count += 1
