"""Deadlines in the deciding companies' calendars: review windows, claim confirmation windows.

Reads each deciding company's zone, country and window (a column of organizations such as
``review_business_days``) and applies :mod:`comarketing.business_days`. When several companies
decide, the deadline is the latest of their own ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.business_days import WorkCalendar, due_within_a_business_day, latest_deadline
from comarketing.extensions import db
from comarketing.timezones import zone


def calendar_of(organization: Organization) -> WorkCalendar:
    return WorkCalendar(zone(organization.time_zone), organization.country or "")


def _windows(
    organization_ids: Sequence[int], column: str, default: int
) -> list[tuple[WorkCalendar, int]]:
    window = getattr(Organization, column)
    rows = db.session.execute(
        sa.select(Organization.time_zone, Organization.country, window).where(
            Organization.id.in_(organization_ids)
        )
    ).all()
    return [
        (WorkCalendar(zone(tz), country or ""), int(days or default)) for tz, country, days in rows
    ]


def deadline(
    start: datetime, organization_ids: Sequence[int], column: str, *, default: int
) -> datetime:
    """The end of the n-th business day after ``start`` for each of these companies (n their
    ``column``), the latest of them; a UTC weekday count of ``default`` days when none is
    found."""
    windows = _windows(organization_ids, column, default) or [(WorkCalendar(), default)]
    return latest_deadline(start, windows)


def reminder_due(now: datetime, due: datetime, organization_ids: Sequence[int]) -> bool:
    """Whether ``due`` falls by the end of the next business day of one of these companies."""
    calendars = [calendar for calendar, _ in _windows(organization_ids, "review_business_days", 1)]
    return due_within_a_business_day(now, due, calendars or [WorkCalendar()])
