"""The deadline rule: end of the n-th business day in the deciding company's zone, skipping
weekends and that country's public holidays."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from comarketing.business_days import (
    WorkCalendar,
    due_within_a_business_day,
    latest_deadline,
    public_holidays,
)

UTC_CALENDAR = WorkCalendar()
BERLIN = WorkCalendar(ZoneInfo("Europe/Berlin"), "DE")
LONDON = WorkCalendar(ZoneInfo("Europe/London"), "GB")
NEW_YORK = WorkCalendar(ZoneInfo("America/New_York"), "US")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        # November 2026: the 23rd is a Monday. The sending day never counts.
        (utc(2026, 11, 23, 10), utc(2026, 11, 26)),  # Mon -> end of Wed
        (utc(2026, 11, 26, 10), utc(2026, 12, 1)),  # Thu -> end of Mon
        (utc(2026, 11, 27, 10), utc(2026, 12, 2)),  # Fri -> end of Tue
        (utc(2026, 11, 28, 10), utc(2026, 12, 2)),  # Sat -> end of Tue
        (utc(2026, 12, 6, 12), utc(2026, 12, 9)),  # Sun 6 Dec -> end of Tue 8 Dec
    ],
)
def test_two_business_days_in_utc_without_holidays(sent, due):
    assert UTC_CALENDAR.deadline(sent, 2) == due


def test_the_end_of_a_day_is_the_companys_midnight():
    # Sunday 6 Dec 2026: due at the end of Tuesday 8 Dec in Berlin = 23:00 UTC.
    assert BERLIN.deadline(utc(2026, 12, 6, 12), 2) == utc(2026, 12, 8, 23)
    # New York: the end of Tuesday is 05:00 UTC on Wednesday.
    assert NEW_YORK.deadline(utc(2026, 12, 6, 12), 2) == utc(2026, 12, 9, 5)


def test_the_sending_day_is_read_in_the_companys_zone():
    # 23:30 UTC on Monday is already Tuesday in Berlin: Wed and Thu count there.
    late = utc(2026, 11, 23, 23, 30)
    assert UTC_CALENDAR.deadline(late, 2) == utc(2026, 11, 26)
    assert BERLIN.deadline(late, 2) == utc(2026, 11, 26, 23)


def test_german_unity_day_does_not_count_in_germany():
    # Thursday 1 Oct 2026, two days: Fri 2 Oct, (Sat 3 Oct is a holiday at the weekend), Mon 5.
    assert BERLIN.deadline(utc(2026, 10, 1, 9), 2) == utc(2026, 10, 5, 22)
    # In 2025, 3 Oct is a Friday: Thursday 2 Oct + 2 days skips it -> end of Tue 7 Oct.
    assert date(2025, 10, 3) in public_holidays("DE", 2025)
    assert BERLIN.deadline(utc(2025, 10, 2, 9), 2) == utc(2025, 10, 7, 22)
    # The same window in London counts that Friday.
    assert LONDON.deadline(utc(2025, 10, 2, 9), 2) == utc(2025, 10, 6, 23)


def test_christmas_and_new_year_are_skipped():
    # Wed 23 Dec 2026 in Berlin: Thu 24 counts (not a national holiday), 25 and 26 do not,
    # nor the weekend; second business day is Mon 28 Dec.
    assert BERLIN.deadline(utc(2026, 12, 23, 9), 2) == utc(2026, 12, 28, 23)
    # Three days from Tue 29 Dec: Wed 30, Thu 31, (Fri 1 Jan holiday), Mon 4 Jan.
    assert BERLIN.deadline(utc(2026, 12, 29, 9), 3) == utc(2027, 1, 4, 23)


def test_us_thanksgiving_is_skipped_in_new_york_only():
    # Wed 25 Nov 2026, one day: Thu 26 is Thanksgiving -> end of Fri 27 in New York.
    assert NEW_YORK.deadline(utc(2026, 11, 25, 15), 1) == utc(2026, 11, 28, 5)
    assert BERLIN.deadline(utc(2026, 11, 25, 15), 1) == utc(2026, 11, 26, 23)


def test_a_deadline_across_the_dst_change_ends_at_local_midnight():
    # Berlin leaves summer time on Sun 25 Oct 2026: end of Mon 26 Oct is 23:00 UTC (CET), while
    # the end of Fri 23 Oct was 22:00 UTC (CEST).
    assert BERLIN.deadline(utc(2026, 10, 21, 9), 2) == utc(2026, 10, 23, 22)
    assert BERLIN.deadline(utc(2026, 10, 22, 9), 2) == utc(2026, 10, 26, 23)
    # Spring: Europe enters summer time on Sun 29 Mar 2026.
    assert LONDON.deadline(utc(2026, 3, 26, 9), 2) == utc(2026, 3, 30, 23)
    assert LONDON.deadline(utc(2026, 3, 25, 9), 2) == utc(2026, 3, 28, 0)


def test_no_country_means_weekends_only():
    no_country = WorkCalendar(ZoneInfo("Europe/Berlin"), "")
    assert no_country.is_business_day(date(2026, 12, 25))
    assert not BERLIN.is_business_day(date(2026, 12, 25))
    assert not no_country.is_business_day(date(2026, 12, 26))  # a Saturday


def test_several_deciding_companies_get_the_latest_of_their_deadlines():
    sent = utc(2025, 10, 2, 9)
    assert latest_deadline(sent, [(LONDON, 2), (BERLIN, 2)]) == utc(2025, 10, 7, 22)
    assert latest_deadline(sent, [(LONDON, 5), (BERLIN, 2)]) == LONDON.deadline(sent, 5)


def test_a_reminder_is_due_one_business_day_before():
    due = BERLIN.deadline(utc(2026, 12, 6, 12), 2)  # end of Tue 8 Dec
    assert not due_within_a_business_day(utc(2026, 12, 6, 22), due, [BERLIN])  # Sun evening
    assert due_within_a_business_day(utc(2026, 12, 6, 23), due, [BERLIN])  # Monday in Berlin
    # Before a holiday: due at the end of Mon 5 Oct 2026; Fri 2 Oct reminds (3 Oct a Saturday).
    due = BERLIN.deadline(utc(2026, 10, 1, 9), 2)
    assert due_within_a_business_day(utc(2026, 10, 2, 9), due, [BERLIN])


def test_business_days_between():
    assert UTC_CALENDAR.business_days_between(utc(2026, 11, 23, 10), utc(2026, 11, 26)) == 2
    assert UTC_CALENDAR.business_days_between(utc(2026, 11, 27, 10), utc(2026, 11, 30, 10)) == 0
    assert BERLIN.business_days_between(utc(2026, 12, 23, 9), utc(2026, 12, 28, 23)) == 2
    assert UTC_CALENDAR.business_days_between(utc(2026, 11, 25), utc(2026, 11, 23)) == 0
