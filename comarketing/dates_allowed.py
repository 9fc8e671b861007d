"""The dates the product accepts: the one place for the rule.

Every date a person or a client types — campaigns, offers, placements, milestones, ledger
entries and claims, results days, report periods, ``?month=`` — lies within
2000-01-01 … 2100-12-31, and a campaign or an offer lasts at most five years. Far-off dates
are never real and make pages whose size grows with a date range (the calendar, the burn
chart, reports by day) as large as a typist's finger allows; the margin at 2100 leaves room
for the month and week arithmetic done on a period's end (nothing reaches ``date.max``).

Used by the HTML forms (:class:`DateField`), the API schemas (:class:`Date`), the query
parameters (:func:`parse_day`, :func:`parse_month`) and the campaign and offer services
(:func:`check_period`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import wtforms
from apiflask import fields as api_fields
from marshmallow import ValidationError

from comarketing.dates_format import format_date
from comarketing.errors import ValidationFailed

EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
MAX_YEARS = 5
OUT_OF_RANGE = f"Enter a date between {format_date(EARLIEST)} and {format_date(LATEST)}."
TOO_LONG = f"A campaign or offer can last at most {MAX_YEARS} years; choose an earlier end date."


def allowed(day: date) -> bool:
    return EARLIEST <= day <= LATEST


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later (28 Feb for 29 Feb in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def last_allowed_end(start: date) -> date:
    return add_years(start, MAX_YEARS) - timedelta(days=1)


def check_day(day: date | None, field: str) -> None:
    if day is not None and not allowed(day):
        raise ValidationFailed(OUT_OF_RANGE, field=field)


def check_period(
    start: date, end: date, *, start_field: str = "start_date", end_field: str = "end_date"
) -> None:
    """Both ends within the allowed dates and at most :data:`MAX_YEARS` years apart."""
    check_day(start, start_field)
    check_day(end, end_field)
    if end > last_allowed_end(start):
        raise ValidationFailed(TOO_LONG, field=end_field)


def parse_day(text: str | None) -> date | None:
    """A ``YYYY-MM-DD`` query parameter: None when missing, malformed or out of range."""
    try:
        day = date.fromisoformat((text or "").strip()[:10])
    except ValueError:
        return None
    return day if allowed(day) else None


def parse_month(text: str | None) -> date | None:
    """A ``YYYY-MM`` query parameter as its first day: None when malformed or out of range."""
    value = (text or "").strip()
    if len(value) != 7:
        return None
    return parse_day(value + "-01")


class DateField(wtforms.DateField):
    """WTForms' date field holding the allowed range (the browser's date picker too)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        render_kw = {"min": EARLIEST.isoformat(), "max": LATEST.isoformat()}
        render_kw.update(kwargs.pop("render_kw", None) or {})
        super().__init__(*args, render_kw=render_kw, **kwargs)

    def pre_validate(self, form: Any) -> None:
        super().pre_validate(form)
        if isinstance(self.data, date) and not allowed(self.data):
            raise wtforms.validators.StopValidation(OUT_OF_RANGE)


def _validate_range(value: date) -> None:
    if not allowed(value):
        raise ValidationError(OUT_OF_RANGE)


class Date(api_fields.Date):
    """The API's date field holding the allowed range (documented in the OpenAPI document)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        validators = list(kwargs.pop("validate", None) or [])
        metadata = dict(kwargs.pop("metadata", None) or {})
        metadata.setdefault("x-minimum", EARLIEST.isoformat())
        metadata.setdefault("x-maximum", LATEST.isoformat())
        super().__init__(
            *args, validate=[_validate_range, *validators], metadata=metadata, **kwargs
        )
