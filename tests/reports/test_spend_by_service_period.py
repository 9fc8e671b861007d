"""Issue 14: spend is confirmed + pending claims by service period, split pro rata by day in
exact integer minor units -- on the dashboard, the campaign report and the campaign page."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from comarketing.budgets import balances, claim_responses, claims
from comarketing.budgets.models import ClaimVersion, LedgerEntry
from comarketing.budgets.spend import per_day, portion
from comarketing.extensions import db
from comarketing.reports import campaign_queries, spend_cells
from comarketing.reports.scope import Scope
from tests import campaign_helpers as ch
from tests.offer_helpers import actor

PM = "partner_manager"
MAR1, MAR31, APR1, APR30 = date(2027, 3, 1), date(2027, 3, 31), date(2027, 4, 1), date(2027, 4, 30)


def _claim_of(expense: LedgerEntry) -> int:
    return db.session.scalar(
        sa.select(ClaimVersion.claim_id).where(ClaimVersion.ledger_entry_id == expense.id)
    )


def _months(org: int, campaign_id: int) -> dict[str, int]:
    cells = spend_cells.spend_cells(Scope(org, MAR1, APR30, campaign_id=campaign_id))
    return dict(cells.groupby("month")["campaign_spend_minor"].sum().items())


def test_the_split_is_exact_with_the_remainder_on_the_first_days():
    days = per_day(1_000, date(2027, 3, 30), date(2027, 4, 2))  # 4 days
    assert [share for _, share in days] == [250, 250, 250, 250]
    days = per_day(1_003, date(2027, 3, 30), date(2027, 4, 2))
    assert [share for _, share in days] == [251, 251, 251, 250]
    assert portion(1_003, date(2027, 3, 30), date(2027, 4, 2), MAR1, MAR31) == 502
    assert portion(1_003, date(2027, 3, 30), date(2027, 4, 2), APR1, APR30) == 501
    assert portion(1_003, date(2027, 3, 30), date(2027, 4, 2), date(2027, 5, 1), APR30) == 0


def test_a_claim_over_two_months_counts_in_each_pro_rata_by_day(ctx, world):
    campaign = ch.joint_campaign(world)  # 2027-03-01 .. 2027-04-30
    pm = world.a.email(PM)
    # 10 March to 9 April: 22 days in March, 9 in April; 31 days in all.
    ch.spend(
        pm,
        campaign.id,
        campaign.a_placement,
        31_005,
        occurred_on=date(2027, 4, 20),
        service=(date(2027, 3, 10), date(2027, 4, 9)),
    )
    # 31_005 = 1_000 a day and 5 one-unit remainders on the first five days (all in March).
    assert _months(world.a.id, campaign.id) == {"2027-03": 22_005, "2027-04": 9_000}
    by_day = balances.spend_by_day(campaign.id)
    assert by_day[0] == (date(2027, 3, 10), 1_001) and by_day[-1] == (date(2027, 4, 9), 1_000)
    assert len(by_day) == 31 and sum(v for _, v in by_day) == 31_005
    report = campaign_queries.ledger_days(campaign.id)
    assert int(report["spent_minor"].sum()) == 31_005
    assert date(2027, 4, 20) not in set(report["day"])  # not on the day it was paid


def test_a_disputed_claim_does_not_count_until_revised(ctx, world):
    campaign = ch.joint_campaign(world)
    pm_a, approver_b = world.a.email(PM), world.b.email("approver")
    expense = ch.spend(pm_a, campaign.id, campaign.a_placement, 4_000, service=(MAR1, MAR31))
    ch.spend(pm_a, campaign.id, campaign.a_placement, 1_000, service=(APR1, APR1))
    claim_responses.dispute_claim(
        actor(approver_b), campaign.id, _claim_of(expense), reason="No invoice attached"
    )
    assert _months(world.a.id, campaign.id) == {"2027-04": 1_000}
    assert balances.spend_by_day(campaign.id) == [(APR1, 1_000)]
    figures = {
        p.placement_id: p.spend_minor for p in campaign_queries.placement_figures(campaign.id)
    }
    assert figures[campaign.a_placement] == 1_000
    claims.revise_claim(actor(pm_a), campaign.id, _claim_of(expense), amount_minor=3_100)
    assert _months(world.a.id, campaign.id) == {"2027-03": 3_100, "2027-04": 1_000}


def test_a_revised_claim_counts_its_new_version_only_in_its_new_period(ctx, world):
    campaign = ch.joint_campaign(world)
    pm_b = world.b.email(PM)
    expense = ch.spend(pm_b, campaign.id, campaign.b_placement, 6_000, service=(MAR1, MAR31))
    claims.revise_claim(
        actor(pm_b),
        campaign.id,
        _claim_of(expense),
        amount_minor=3_000,
        service_from=APR1,
        service_to=date(2027, 4, 3),
    )
    # The reversal of March's version takes it out of March, not out of April.
    assert _months(world.a.id, campaign.id) == {"2027-04": 3_000}
    assert balances.spend_by_day(campaign.id) == [
        (APR1, 1_000),
        (date(2027, 4, 2), 1_000),
        (date(2027, 4, 3), 1_000),
    ]
    figures = {
        p.placement_id: p.spend_minor for p in campaign_queries.placement_figures(campaign.id)
    }
    assert figures[campaign.b_placement] == 3_000


def test_a_period_cutting_claims_counts_the_share_of_their_days_inside_it(ctx, world):
    """Claims the period's edge cuts within one month are summed in SQL, those whose days in
    the period cross a month split in Python: both give ``portion`` of the days inside, to
    the unit, on every backend."""
    campaign = ch.joint_campaign(world)  # 2027-03-01 .. 2027-04-30
    pm = world.a.email(PM)
    claimed = [
        (1_003, date(2027, 3, 3), date(2027, 3, 20)),
        (31_007, date(2027, 3, 25), date(2027, 4, 9)),
        (997, date(2027, 4, 2), APR30),
        (3_101, MAR1, MAR31),
        (7, date(2027, 4, 10), date(2027, 4, 28)),  # fewer units than days
    ]
    for amount, first, last in claimed:
        ch.spend(pm, campaign.id, campaign.a_placement, amount, service=(first, last))
    periods = [
        (date(2027, 3, 10), date(2027, 4, 5)),
        (MAR1, date(2027, 3, 15)),
        (date(2027, 3, 16), APR30),
        (date(2027, 4, 3), date(2027, 4, 3)),
        (date(2027, 4, 12), date(2027, 4, 20)),
    ]
    for start, end in periods:
        expected: dict[str, int] = {}
        for month_start, month_end in ((MAR1, MAR31), (APR1, APR30)):
            low, high = max(start, month_start), min(end, month_end)
            if low > high:
                continue
            share = sum(portion(a, f, t, low, high) for a, f, t in claimed)
            if share:
                expected[month_start.strftime("%Y-%m")] = share
        cells = spend_cells.spend_cells(Scope(world.a.id, start, end, campaign_id=campaign.id))
        got = dict(cells.groupby("month")["campaign_spend_minor"].sum().items())
        assert got == expected, (start, end)
