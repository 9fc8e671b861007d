"""How dates and times are written for people: the one place for the format.

Every page (through the template filters of ``template_helpers``) and every mail body writes
dates and times with these functions, so a date reads the same everywhere ("8 Dec 2026" in the
default ``en_GB`` locale, ``DATE_LOCALE`` in the configuration) and a time is always shown in
the reader's zone with that zone's abbreviation ("8 Dec 2026, 14:05 CET"). Patterns come from
Babel's locale data, not from strftime.

Deadlines are instants too, but most of them are a company's midnight: one that falls on the
reader's midnight is written as the end of the day before ("end of Tue, 8 Dec 2026 (CET)"),
which is what it means, rather than as 00:00 of a day the reader must not wait for. Any other
deadline shows its weekday and time ("Tue, 8 Dec 2026, 18:00 EST").

Machine formats (ISO 8601 in the API, CSV exports, form values, URLs) are not for people and
do not come through here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date as babel_date
from babel.dates import format_skeleton, format_time, get_datetime_format
from flask import current_app, has_app_context

from comarketing.timezones import UTC_ZONE

DEFAULT_LOCALE = "en_GB"


@lru_cache(maxsize=16)
def _parse_locale(name: str) -> Locale:
    return Locale.parse(name)


def _locale_name() -> str:
    if has_app_context():
        return str(current_app.config.get("DATE_LOCALE") or DEFAULT_LOCALE)
    return DEFAULT_LOCALE


def locale() -> Locale:
    return _parse_locale(_locale_name())


@lru_cache(maxsize=8192)
def _written(pattern: str, value: date, name: str) -> str:
    """A calendar day in one of Babel's patterns ("medium") or skeletons: a page writes the
    same few hundred days over and over, and Babel takes tens of microseconds for each."""
    if pattern == "medium":
        return str(babel_date(value, "medium", locale=_parse_locale(name)))
    return str(format_skeleton(pattern, value, locale=_parse_locale(name)))


def _in_zone(moment: datetime, tz: ZoneInfo | None) -> datetime:
    # Stored times are aware UTC; a naive one can only be UTC too.
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(tz or UTC_ZONE)


def format_date(value: date | datetime | None, tz: ZoneInfo | None = None) -> str:
    """A calendar date: "8 Dec 2026". A datetime is first read in ``tz`` (the reader's zone)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _in_zone(value, tz).date()
    return _written("medium", value, _locale_name())


def format_day(value: date) -> str:
    """A date with its weekday, for deadlines and day rows: "Tue, 8 Dec 2026"."""
    return _written("yMMMEd", value, _locale_name())


def format_short_day(value: date) -> str:
    """A day within a month shown around it: "Tue 8 Dec"."""
    return _written("MMMEd", value, _locale_name())


def format_month(value: date) -> str:
    """A month: "December 2026"."""
    return _written("yMMMM", value, _locale_name())


def _join(day_text: str, local: datetime) -> str:
    clock = format_time(local.time(), "short", locale=locale())
    pattern = str(get_datetime_format("medium", locale=locale()))
    return f"{pattern.replace('{1}', day_text).replace('{0}', clock)} {local.tzname()}"


def format_datetime(value: datetime | None, tz: ZoneInfo | None = None) -> str:
    """An instant in the reader's zone, with the zone's abbreviation: "8 Dec 2026, 14:05 CET"."""
    if value is None:
        return ""
    local = _in_zone(value, tz)
    return _join(_written("medium", local.date(), _locale_name()), local)


def format_deadline(value: datetime | None, tz: ZoneInfo | None = None) -> str:
    """A due instant in the reader's zone: "end of Tue, 8 Dec 2026 (CET)" when it is the
    reader's midnight, else "Tue, 8 Dec 2026, 18:00 EST"."""
    if value is None:
        return ""
    local = _in_zone(value, tz)
    if local.time() == time(0):
        previous = local - timedelta(minutes=1)
        return f"end of {format_day(local.date() - timedelta(days=1))} ({previous.tzname()})"
    return _join(format_day(local.date()), local)
