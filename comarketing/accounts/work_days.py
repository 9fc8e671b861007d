"""Deadlines in the deciding companies' calendars: review windows, claim confirmation windows.

Reads each deciding company's zone, country and window (``review_business_days`` or
``claim_confirmation_business_days``) and applies :mod:`comarketing.business_days`. When
several companies decide, the deadline is the latest of their own ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.business_days import WorkCalendar, due_within_a_business_day, latest_deadline
from comarketing.extensions import db
from comarketing.timezones import zone

# The windows a company sets (columns of organizations), in business days.
Window = Literal["review_business_days", "claim_confirmation_business_days"]


def _calendar(time_zone: str, country: str | None) -> WorkCalendar:
    return WorkCalendar(zone(time_zone), country or "")


def deadline(
    start: datetime, organization_ids: Sequence[int], window: Window, *, default: int
) -> datetime:
    """The end of the n-th business day after ``start`` for each of these companies (n their
    ``window``), the latest of them; ``default`` weekdays in UTC when none is found."""
    rows = db.session.execute(
        sa.select(
            Organization.time_zone, Organization.country, getattr(Organization, window)
        ).where(Organization.id.in_(organization_ids))
    ).all()
    windows = [(_calendar(tz, country), int(days or default)) for tz, country, days in rows]
    return latest_deadline(start, windows or [(WorkCalendar(), default)])


def reminder_due(now: datetime, due: datetime, organization_ids: Sequence[int]) -> bool:
    """Whether ``due`` falls by the end of the next business day of one of these companies."""
    rows = db.session.execute(
        sa.select(Organization.time_zone, Organization.country).where(
            Organization.id.in_(organization_ids)
        )
    ).all()
    calendars = [_calendar(tz, country) for tz, country in rows]
    return due_within_a_business_day(now, due, calendars or [WorkCalendar()])
