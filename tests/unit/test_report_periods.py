"""The dashboard's period rule at month and year edges (a fixed "today"), and the page's
half-up rounding of ratios (issue 16, part)."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from comarketing.errors import ValidationFailed
from comarketing.reports import services, tables
from comarketing.reports.exports import Column, Table


@pytest.mark.parametrize(
    ("today", "preset", "start", "end"),
    [
        # Last 12 months: the 12 whole months before this one, plus this month to date.
        (date(2026, 12, 6), "last_12_months", date(2025, 12, 1), date(2026, 12, 6)),
        (date(2027, 1, 1), "last_12_months", date(2026, 1, 1), date(2027, 1, 1)),
        (date(2027, 1, 31), "last_12_months", date(2026, 1, 1), date(2027, 1, 31)),
        (date(2028, 2, 29), "last_12_months", date(2027, 2, 1), date(2028, 2, 29)),
        (date(2027, 12, 31), "last_12_months", date(2026, 12, 1), date(2027, 12, 31)),
        # Last month: the whole calendar month before this one, across a year and a leap day.
        (date(2027, 1, 15), "last_month", date(2026, 12, 1), date(2026, 12, 31)),
        (date(2028, 3, 1), "last_month", date(2028, 2, 1), date(2028, 2, 29)),
        (date(2027, 3, 31), "last_month", date(2027, 2, 1), date(2027, 2, 28)),
        # This month, quarter and year: from the first of their month to today.
        (date(2027, 1, 1), "this_month", date(2027, 1, 1), date(2027, 1, 1)),
        (date(2027, 3, 31), "this_quarter", date(2027, 1, 1), date(2027, 3, 31)),
        (date(2027, 4, 1), "this_quarter", date(2027, 4, 1), date(2027, 4, 1)),
        (date(2027, 12, 31), "this_quarter", date(2027, 10, 1), date(2027, 12, 31)),
        (date(2027, 1, 1), "this_year", date(2027, 1, 1), date(2027, 1, 1)),
        # Last 30 and 90 days stay day-based, ending today.
        (date(2027, 3, 1), "last_30_days", date(2027, 1, 31), date(2027, 3, 1)),
        (date(2027, 1, 10), "last_90_days", date(2026, 10, 13), date(2027, 1, 10)),
    ],
)
def test_presets_are_calendar_exact(today, preset, start, end):
    period = services.period_for(preset, today=today)
    assert (period.start, period.end, period.preset) == (start, end, preset)


def test_last_12_months_covers_twelve_whole_months_plus_this_one():
    period = services.period_for("last_12_months", today=date(2026, 12, 6))
    months = {(period.start.year, period.start.month)}
    day = period.start
    while day < period.end:
        day = date.fromordinal(day.toordinal() + 1)
        months.add((day.year, day.month))
    assert len(months) == 13 and period.start.day == 1


def test_preset_labels_carry_their_dates():
    labels = services.preset_labels(date(2026, 12, 6))
    assert labels["last_12_months"] == "Last 12 months (1 Dec 2025 to 6 Dec 2026)"
    assert labels["last_month"] == "Last month (1 Nov 2026 to 30 Nov 2026)"
    assert labels["custom"] == "Custom"


def test_dates_that_differ_from_the_preset_mean_custom():
    today = date(2027, 5, 10)
    period = services.period_for("last_month", date(2027, 3, 1), date(2027, 4, 30), today)
    assert (period.start, period.end, period.preset) == (
        date(2027, 3, 1),
        date(2027, 4, 30),
        "custom",
    )
    # Only one edge edited: the other is the preset's own.
    period = services.period_for("last_month", None, date(2027, 4, 20), today)
    assert (period.start, period.end, period.preset) == (
        date(2027, 4, 1),
        date(2027, 4, 20),
        "custom",
    )


def test_dates_equal_to_the_preset_keep_the_preset():
    today = date(2027, 5, 10)
    period = services.period_for("last_month", date(2027, 4, 1), date(2027, 4, 30), today)
    assert period.preset == "last_month"


def test_edited_dates_are_checked_like_a_custom_period():
    with pytest.raises(ValidationFailed, match="The last day is before the first"):
        services.period_for("this_year", date(2027, 5, 1), date(2027, 4, 1), date(2027, 5, 10))


RATIO = Column("ratio", "Ratio", "ratio")
PERCENT = Column("share", "Share", "percent")
MONEY = Column("cost", "Cost", "money")


@pytest.mark.parametrize(
    ("column", "raw", "shown"),
    [
        (RATIO, Fraction(1, 8), "0.13"),  # 0.125: half even would show 0.12
        (RATIO, Fraction(3, 8), "0.38"),
        (RATIO, Fraction(1, 32) * 100, "3.13"),  # 3.125
        (RATIO, Fraction(1, 3), "0.33"),
        (RATIO, Fraction(12_345_678, 1), "12,345,678.00"),
        (PERCENT, Fraction(1, 16), "6.3 %"),  # 6.25 %: half even would show 6.2 %
        (PERCENT, Fraction(1, 32), "3.1 %"),  # 3.125 %
        (PERCENT, Fraction(-1, 16), "-6.3 %"),  # half away from zero
        (MONEY, Fraction(5, 2), "€0.03"),  # 2.5 cents
    ],
)
def test_the_page_rounds_ratios_half_up(column, raw, shown):
    table = Table("t", [column], currency="EUR")
    assert tables.display(table, {column.key: raw}, column) == shown
