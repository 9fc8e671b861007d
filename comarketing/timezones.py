"""Whose clock a time is read on: companies work in their IANA zone, people may override it.

Sits below every domain package: it only reads the zone names stored on organizations and
users. Times are stored in UTC everywhere; this module turns them into a reader's or a
company's local time, and gives a company's "today".
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache, lru_cache
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from comarketing.db import utcnow

UTC_ZONE = ZoneInfo("UTC")


class HasZone(Protocol):
    time_zone: str


class Reader(Protocol):
    time_zone: str | None

    @property
    def organization(self) -> HasZone: ...


@cache
def known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_known(name: str) -> bool:
    return name in known_zones()


@lru_cache(maxsize=1024)
def zone(name: str | None) -> ZoneInfo:
    """The zone of that name; UTC for an empty or unknown name (stored names are validated on
    the way in, so this only guards against a zone removed from the tz database)."""
    if not name:
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def company_zone(organization: HasZone) -> ZoneInfo:
    return zone(organization.time_zone)


def reader_zone(user: Reader) -> ZoneInfo:
    """The zone a person reads times in: their own, else their company's."""
    return zone(user.time_zone or user.organization.time_zone)


def local(moment: datetime, tz: ZoneInfo) -> datetime:
    """An aware UTC moment as wall-clock time in ``tz`` (aware, with its offset)."""
    return moment.astimezone(tz)


def company_today(organization: HasZone, now: datetime | None = None) -> date:
    """The calendar date it is now where the company works."""
    return local(now or utcnow(), company_zone(organization)).date()
