"""Issue 14: money is booked on days that have happened somewhere on Earth (up to today in
UTC+14), within 2000-01-01 to 2100-12-31; an expense lies within its campaign's dates. A
refused date names its field and writes nothing."""

from __future__ import annotations

from datetime import date

import pytest
from freezegun import freeze_time

from comarketing.budgets import expenses
from comarketing.budgets.posting import check_money_date
from comarketing.errors import ValidationFailed
from tests.campaign_helpers import (
    PM,
    START,
    assert_ledger_consistent,
    commit,
    joint_campaign,
    ledger_rows,
    spend,
)
from tests.offer_helpers import actor


@pytest.mark.parametrize(
    "day", [date(1, 1, 1), date(1999, 12, 31), date(2101, 1, 1), date(9999, 12, 31)]
)
def test_dates_outside_2000_to_2100_are_refused_naming_the_field(day):
    with pytest.raises(ValidationFailed) as refused:
        check_money_date(day, "paid_on")
    assert refused.value.field == "paid_on"
    assert "between 01 January 2000 and 31 December 2100" in refused.value.message


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


@freeze_time("2027-03-15 12:00:00")
def test_commitments_and_expenses_in_the_future_are_refused_and_write_nothing(app, ctx, world):
    campaign = joint_campaign(world)
    pm = world.a.email(PM)
    before = ledger_rows(campaign.id)
    with pytest.raises(ValidationFailed) as refused:
        commit(pm, campaign.id, 1_000, occurred_on=date(9999, 12, 31))
    assert refused.value.field == "occurred_on"
    with pytest.raises(ValidationFailed) as refused:
        expenses.post_expense(  # not through ``spend``, which posts on the day itself
            actor(pm),
            campaign.id,
            organization_id=world.a.id,
            placement_id=campaign.a_placement,
            amount_minor=1_000,
            occurred_on=date(2027, 4, 1),
        )
    assert refused.value.field == "occurred_on"
    assert ledger_rows(campaign.id) == before
    # The same expense once the day has come is booked.
    assert spend(pm, campaign.id, campaign.a_placement, 1_000, occurred_on=date(2027, 3, 15))
    assert_ledger_consistent(app)


def test_an_expense_outside_the_campaigns_dates_is_refused(app, ctx, world):
    campaign = joint_campaign(world)  # 2027-03-01 to 2027-04-30
    pm = world.a.email(PM)
    before = ledger_rows(campaign.id)
    with freeze_time("2027-06-01 12:00:00"):
        for day in (date(2027, 2, 28), date(2027, 5, 1)):
            with pytest.raises(ValidationFailed) as refused:
                spend(pm, campaign.id, campaign.a_placement, 1_000, occurred_on=day)
            assert refused.value.field == "occurred_on"
            assert "2027-03-01 to 2027-04-30" in refused.value.message
        # Without a date the expense is dated today, after the campaign: refused as well.
        with pytest.raises(ValidationFailed):
            expenses.post_expense(
                actor(pm),
                campaign.id,
                organization_id=world.a.id,
                placement_id=campaign.a_placement,
                amount_minor=1_000,
            )
    assert ledger_rows(campaign.id) == before
    # A commitment may be dated before the campaign starts (budgets are agreed ahead).
    assert commit(pm, campaign.id, 1_000, occurred_on=date(2027, 2, 1))
    assert spend(pm, campaign.id, campaign.a_placement, 1_000, occurred_on=START)
