"""The dashboard's figures equal an independent, straightforward recomputation from the raw
daily rows and claims (spend by service period, issue 14) — exactly (integers and
fractions), for periods that cut months (edge days) and periods of whole months (the rollup)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction

import pytest
import sqlalchemy as sa

from comarketing.budgets import claim_responses, claims, reversals
from comarketing.budgets.models import Claim, ClaimResponse, ClaimVersion, LedgerEntry
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.extensions import db
from comarketing.metrics import entry
from comarketing.metrics.models import DailyMetric
from comarketing.money import split_by_shares, to_decimal_string
from comarketing.reports import frames, services
from tests import campaign_helpers as ch
from tests.offer_helpers import actor

PM = "partner_manager"
START, END = date(2027, 3, 1), date(2027, 4, 30)
MAR25, APR1 = date(2027, 3, 25), date(2027, 4, 1)


def _claim_of(expense: LedgerEntry) -> int:
    return db.session.scalar(
        sa.select(ClaimVersion.claim_id).where(ClaimVersion.ledger_entry_id == expense.id)
    )


def _results(email: str, placement: int, seed: int, first: date = START, last: date = END) -> None:
    rng = random.Random(seed)
    days = []
    day = first
    while day <= last:
        if rng.random() < 0.8:
            impressions = rng.randint(0, 50_000)
            clicks = rng.randint(0, 900)
            days.append(
                {
                    "day": day.isoformat(),
                    "impressions": str(impressions),
                    "reach": str(rng.randint(0, impressions)),
                    "clicks": str(clicks),
                    "leads": str(rng.randint(0, 40)),
                    "conversions": str(rng.randint(0, 15)),
                    "revenue": to_decimal_string(rng.randint(0, 900_000), "EUR"),
                    "cost": to_decimal_string(rng.randint(0, 90_000), "EUR"),
                }
            )
        day += timedelta(days=1)
    entry.upsert_days(actor(email), placement, days)


@pytest.fixture
def seeded(app, world):
    a_pm, b_pm, c_pm = (w.email(PM) for w in (world.a, world.b, world.c))
    with app.app_context():
        joint = ch.joint_campaign(world, budget_minor=2_000_000, a_share_bp=6_667)
        extra = ch.add_placement(a_pm, joint.id, world.a.id, channel="event", name="Fair")
        _results(a_pm, joint.a_placement, 1)
        _results(b_pm, joint.b_placement, 2)
        _results(a_pm, extra, 3, date(2027, 3, 20), date(2027, 4, 5))
        # Service periods across months and the periods' edges, split pro rata by day.
        ch.spend(
            a_pm,
            joint.id,
            joint.a_placement,
            123_457,
            occurred_on=date(2027, 3, 5),
            service=(date(2027, 3, 5), date(2027, 4, 13)),
        )
        ch.spend(
            b_pm,
            joint.id,
            joint.b_placement,
            77_771,
            occurred_on=date(2027, 4, 10),
            service=(date(2027, 4, 10), date(2027, 4, 10)),
        )
        wrong = ch.spend(
            a_pm, joint.id, extra, 5_001, occurred_on=date(2027, 3, 25), service=(MAR25,) * 2
        )
        reversals.reverse_entry(actor(a_pm), joint.id, wrong.id, reason="Booked twice")
        ch.spend(a_pm, joint.id, extra, 9_999, occurred_on=date(2027, 4, 1), service=(APR1,) * 2)
        # Disputed by B: counts nowhere. Revised: only the new version counts.
        disputed = ch.spend(
            a_pm, joint.id, extra, 7_003, service=(date(2027, 3, 14), date(2027, 4, 2))
        )
        claim_responses.dispute_claim(
            actor(b_pm), joint.id, _claim_of(disputed), reason="No invoice"
        )
        revised = ch.spend(b_pm, joint.id, joint.b_placement, 3_333, service=(MAR25, APR1))
        claims.revise_claim(
            actor(b_pm), joint.id, _claim_of(revised), amount_minor=4_447, service_to=APR1
        )
        solo = ch.solo_campaign(a_pm, "Alpha solo")
        solo_placement = ch.add_placement(a_pm, solo, world.a.id, channel="email")
        ch.commit(a_pm, solo, 500_000)
        _results(a_pm, solo_placement, 4)
        ch.spend(a_pm, solo, solo_placement, 33_333, service=(date(2027, 3, 31),) * 2)
        ch.spend(a_pm, solo, solo_placement, 44_444, service=(APR1, date(2027, 4, 30)))
        dollars = ch.solo_campaign(a_pm, "Alpha US", currency="USD")
        dollar_placement = ch.add_placement(a_pm, dollars, world.a.id, channel="search")
        _results(a_pm, dollar_placement, 5)
        c_solo = ch.solo_campaign(c_pm, f"Gamma {world.canary}")
        c_placement = ch.add_placement(c_pm, c_solo, world.c.id)
        _results(c_pm, c_placement, 6)
        db.session.remove()
    return world


def independent(org: int, start: date, end: date) -> dict[tuple[str, str], dict]:
    """Straight loops over the raw rows: the definition of every figure, written plainly."""
    campaigns = {c.id: c for c in db.session.scalars(sa.select(Campaign))}
    parties = defaultdict(dict)
    for p in db.session.scalars(sa.select(CampaignParty)):
        parties[p.campaign_id][p.organization_id] = p
    mine = {cid for cid, ps in parties.items() if org in ps}
    cells: dict[tuple[int, str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for m in db.session.scalars(sa.select(DailyMetric)):
        if m.campaign_id in mine and start <= m.day <= end:
            cell = cells[(m.campaign_id, m.placement_id, m.day.strftime("%Y-%m"))]
            for name in ("impressions", "reach", "clicks", "leads", "conversions_hundredths"):
                cell[name] += getattr(m, name) or 0  # NULL: not reported, adds nothing
            cell["revenue"] += m.revenue_minor
    # Issue 14: spend is the confirmed + pending claims, by service period. A claim counts
    # through its live version (entry not reversed: a revised claim's new version only, a
    # withdrawn claim nothing) unless a party disputed that version; its amount is spread
    # over its service days, a day each of amount // days, one more on the first
    # amount % days days.
    reversed_ids = set(
        db.session.scalars(sa.select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id > 0))
    )
    disputed = set(
        db.session.scalars(
            sa.select(ClaimResponse.claim_version_id).where(ClaimResponse.kind == "disputed")
        )
    )
    for claim, version in db.session.execute(
        sa.select(Claim, ClaimVersion).join(ClaimVersion, ClaimVersion.claim_id == Claim.id)
    ):
        if claim.campaign_id not in mine or version.ledger_entry_id in reversed_ids:
            continue
        if version.id in disputed:
            continue
        days = (version.service_to - version.service_from).days + 1
        for i in range(days):
            day = version.service_from + timedelta(days=i)
            share = version.amount_minor // days + (1 if i < version.amount_minor % days else 0)
            if start <= day <= end:
                key = (claim.campaign_id, claim.placement_id, day.strftime("%Y-%m"))
                cells[key]["spend"] += share
    out: dict[tuple[str, str], dict] = {}
    # Own shares are split per placement-month (the report's cell, issue 15).
    for (cid, _placement, _month), cell in cells.items():
        campaign = campaigns[cid]
        budget = {o: p.budget_share_bp for o, p in parties[cid].items()}
        revenue = {o: p.revenue_share_bp for o, p in parties[cid].items()}
        key = (campaign.currency, campaign.kind)
        total = out.setdefault(key, defaultdict(int, campaigns=set()))
        for name in ("impressions", "reach", "clicks", "leads", "conversions_hundredths"):
            total[name] += cell[name]
        total["spend_minor"] += split_by_shares(cell["spend"], budget)[org]
        total["whole_spend_minor"] += cell["spend"]  # all parties' shares (issue 16)
        total["revenue_minor"] += split_by_shares(cell["revenue"], revenue)[org]
        total["campaigns"].add(cid)
    return out


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2027, 3, 10), date(2027, 4, 20)),  # edges only
        (date(2027, 3, 1), date(2027, 4, 30)),  # two whole months: the rollup
        (date(2027, 2, 15), date(2027, 4, 2)),  # an edge, a whole month, an edge
    ],
)
def test_the_dashboard_equals_the_straightforward_recomputation(app, seeded, start, end):
    world = seeded
    with app.app_context():
        board = services.dashboard(actor(world.a.email("analyst")), services.Period(start, end))
        expected = independent(world.a.id, start, end)
    got = {(c.currency, k): getattr(c, k) for c in board.comparisons for k in ("joint", "solo")}
    assert {key for key, f in got.items() if f.campaigns} == set(expected)
    for key, figures in got.items():
        want = expected.get(key)
        if want is None:
            assert figures == frames.figures_from(None)
            continue
        assert figures.campaigns == len(want["campaigns"])
        for name in ("impressions", "reach", "clicks", "leads", "conversions_hundredths"):
            assert getattr(figures, name) == want[name], (key, name)
        assert figures.spend_minor == want["spend_minor"], key
        assert figures.revenue_minor == want["revenue_minor"], key
        assert figures.roi == (
            Fraction(want["revenue_minor"] - want["spend_minor"], want["spend_minor"])
            if want["spend_minor"]
            else None
        )
    eur = next(c for c in board.comparisons if c.currency == "EUR")
    joint, solo = expected[("EUR", "joint")], expected[("EUR", "solo")]
    assert eur.reach_multiplier == Fraction(joint["reach"], joint["spend_minor"]) / Fraction(
        solo["reach"], solo["spend_minor"]
    )
    assert eur.measured.on_whole_spend.value == Fraction(
        joint["reach"], joint["whole_spend_minor"]
    ) / Fraction(solo["reach"], solo["whole_spend_minor"])
    assert eur.measured.on_your_spend.campaigns == (1, 1)  # too few for an interval
    assert eur.measured.on_your_spend.interval is None
    # Breakdowns add up to the headline, per currency and kind.
    for table in (board.by_channel, board.by_month):
        sums = table.groupby(["currency", "kind"])[["spend_minor", "reach"]].sum()
        for (currency, kind), row in sums.iterrows():
            assert row["spend_minor"] == got[(currency, kind)].spend_minor
            assert row["reach"] == got[(currency, kind)].reach
