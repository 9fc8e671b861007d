"""The one date format: Babel patterns, the reader's zone with its abbreviation, deadlines that
fall on the reader's midnight written as the end of the day before."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from comarketing.dates_format import (
    format_date,
    format_datetime,
    format_deadline,
    format_month,
    format_short_day,
)

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
END_OF_TUESDAY_IN_BERLIN = datetime(2026, 12, 8, 23, 0, tzinfo=UTC)


def test_dates_read_the_same_everywhere():
    assert format_date(date(2026, 12, 8)) == "8 Dec 2026"
    assert format_month(date(2026, 12, 1)) == "December 2026"
    assert format_short_day(date(2026, 12, 8)) == "Tue 8 Dec"
    assert format_date(None) == "" and format_datetime(None) == ""


def test_a_time_is_shown_in_the_readers_zone_with_its_abbreviation():
    moment = END_OF_TUESDAY_IN_BERLIN
    assert format_datetime(moment) == "8 Dec 2026, 23:00 UTC"
    assert format_datetime(moment, BERLIN) == "9 Dec 2026, 00:00 CET"
    assert format_datetime(moment, NEW_YORK) == "8 Dec 2026, 18:00 EST"
    # Summer time has its own abbreviation.
    assert format_datetime(datetime(2026, 7, 1, 12, tzinfo=UTC), BERLIN) == "1 Jul 2026, 14:00 CEST"
    # A datetime shown as a date is the reader's date.
    assert format_date(moment, BERLIN) == "9 Dec 2026"
    assert format_date(moment, NEW_YORK) == "8 Dec 2026"


def test_a_deadline_at_the_readers_midnight_is_the_end_of_the_day_before():
    assert format_deadline(END_OF_TUESDAY_IN_BERLIN, BERLIN) == "end of Tue, 8 Dec 2026 (CET)"
    assert format_deadline(END_OF_TUESDAY_IN_BERLIN, NEW_YORK) == "Tue, 8 Dec 2026, 18:00 EST"
    assert format_deadline(END_OF_TUESDAY_IN_BERLIN) == "Tue, 8 Dec 2026, 23:00 UTC"
    # The night summer time ends: the day that ended was still in CEST.
    end_of_saturday = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert format_deadline(end_of_saturday, BERLIN) == "end of Sat, 24 Oct 2026 (CEST)"


def test_the_locale_comes_from_the_configuration(app):
    app.config["DATE_LOCALE"] = "de_DE"
    with app.app_context():
        assert format_date(date(2026, 12, 8)) == "08.12.2026"
        assert format_datetime(END_OF_TUESDAY_IN_BERLIN, BERLIN) == "09.12.2026, 00:00 CET"
