"""Issue 14: money is booked on days that have happened somewhere on Earth (up to today in
UTC+14), within 2000-01-01 to 2100-12-31; an expense lies within its campaign's dates. A
refused date names its field and writes nothing."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from freezegun import freeze_time

from comarketing.budgets import claims
from comarketing.budgets.posting import check_money_date
from comarketing.errors import ValidationFailed
from tests.campaign_helpers import (
    PM,
    START,
    assert_ledger_consistent,
    commit,
    joint_campaign,
    ledger_rows,
)
from tests.offer_helpers import actor


@pytest.mark.parametrize(
    "day", [date(1, 1, 1), date(1999, 12, 31), date(2101, 1, 1), date(9999, 12, 31)]
)
def test_dates_outside_2000_to_2100_are_refused_naming_the_field(day):
    with pytest.raises(ValidationFailed) as refused:
        check_money_date(day, "paid_on")
    assert refused.value.field == "paid_on"
    assert "between 1 Jan 2000 and 31 Dec 2100" in refused.value.message


def test_the_edges_of_the_range_and_no_date_pass():
    with freeze_time("2100-12-31 00:00:00"):
        check_money_date(date(2000, 1, 1), "occurred_on")
        check_money_date(date(2100, 12, 31), "occurred_on")
        check_money_date(None, "occurred_on")


@pytest.mark.parametrize(
    ("now", "latest"),
    [
        ("2027-03-15 09:59:59", date(2027, 3, 15)),  # 23:59:59 in UTC+14: still the 15th
        ("2027-03-15 10:00:00", date(2027, 3, 16)),  # midnight in Kiribati: the 16th began
        ("2027-03-15 23:30:00", date(2027, 3, 16)),
    ],
)
def test_the_future_starts_after_today_in_utc_plus_14(now, latest):
    with freeze_time(now):
        check_money_date(latest, "occurred_on")
        with pytest.raises(ValidationFailed) as refused:
            check_money_date(date.fromordinal(latest.toordinal() + 1), "occurred_on")
    assert refused.value.field == "occurred_on"
    assert "has not happened yet" in refused.value.message


def _claim(world, campaign, **dates):
    """A claim straight through the service (``spend`` posts on the day it was paid)."""
    terms = {"service_from": START, "service_to": START, "paid_on": date(2027, 3, 15), **dates}
    return claims.create_claim(
        actor(world.a.email(PM)),
        campaign.id,
        organization_id=world.a.id,
        placement_id=campaign.a_placement,
        terms=claims.ClaimTerms(amount_minor=1_000, note="", **terms),
    )


@freeze_time("2027-03-15 12:00:00")
def test_commitments_and_claims_in_the_future_are_refused_and_write_nothing(app, ctx, world):
    campaign = joint_campaign(world)
    pm = world.a.email(PM)
    before = ledger_rows(campaign.id)
    with pytest.raises(ValidationFailed) as refused:
        commit(pm, campaign.id, 1_000, occurred_on=date(9999, 12, 31))
    assert refused.value.field == "occurred_on"
    with pytest.raises(ValidationFailed) as refused:
        _claim(world, campaign, paid_on=date(2027, 4, 1))
    assert refused.value.field == "paid_on"
    assert ledger_rows(campaign.id) == before
    # The same claim paid today is booked.
    assert _claim(world, campaign, paid_on=date(2027, 3, 15))
    assert_ledger_consistent(app)


def test_a_service_period_outside_the_campaigns_dates_is_refused(app, ctx, world):
    campaign = joint_campaign(world)  # 2027-03-01 to 2027-04-30
    before = ledger_rows(campaign.id)
    with freeze_time("2027-06-01 12:00:00"):
        for dates, field in (
            ({"service_from": date(2027, 2, 28)}, "service_from"),
            ({"service_to": date(2027, 5, 1)}, "service_to"),
        ):
            with pytest.raises(ValidationFailed) as refused:
                _claim(world, campaign, **dates)
            assert refused.value.field == field
            assert "1 Mar 2027 to 30 Apr 2027" in refused.value.message
        assert ledger_rows(campaign.id) == before
        # Paid after the campaign ended, for a service within it: booked.
        assert _claim(world, campaign, paid_on=date(2027, 5, 20))
    # A commitment may be dated before the campaign starts (budgets are agreed ahead).
    assert commit(world.a.email(PM), campaign.id, 1_000, occurred_on=date(2027, 2, 1))


def test_a_companys_today_is_read_in_its_time_zone():
    # 23:30 UTC on 15 March: already the 16th in Berlin, still the 15th in New York.
    berlin = SimpleNamespace(time_zone="Europe/Berlin")
    new_york = SimpleNamespace(time_zone="America/New_York")
    with freeze_time("2027-03-15 23:30:00"):
        check_money_date(date(2027, 3, 16), "paid_on", berlin)
        with pytest.raises(ValidationFailed) as refused:
            check_money_date(date(2027, 3, 16), "paid_on", new_york)
    assert refused.value.field == "paid_on"
    assert refused.value.message == (
        "16 Mar 2027 has not happened yet: money can be booked up to 15 Mar 2027."
    )
