from datetime import UTC, datetime

import pytest

from comarketing.business_days import add_business_days, business_days_between


def at(day: int, hour: int = 10) -> datetime:
    # November 2026: the 23rd is a Monday.
    return datetime(2026, 11, day, hour, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent", "due"),
    [
        (at(23), at(25)),  # Monday -> Wednesday
        (at(26), at(30)),  # Thursday -> Monday
        (at(27), datetime(2026, 12, 1, 10, tzinfo=UTC)),  # Friday -> Tuesday
        (at(28), datetime(2026, 12, 2, 0, tzinfo=UTC)),  # Saturday counts from Monday 00:00
        (at(29, 23), datetime(2026, 12, 2, 0, tzinfo=UTC)),  # Sunday night likewise
    ],
)
def test_two_business_days(sent, due):
    assert add_business_days(sent, 2) == due


def test_business_days_between():
    assert business_days_between(at(23), at(25)) == 2
    assert business_days_between(at(27), at(30)) == 1
    assert business_days_between(at(25), at(23)) == 0
