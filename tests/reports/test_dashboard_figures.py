"""The dashboard's figures equal an independent, straightforward recomputation from the raw
daily rows and claims (spend by service period, issue 14) — exactly (integers and
fractions), for periods that cut months (edge days) and periods of whole months (the rollup).

The world: A+B's joint campaign, a three-party A+B+D campaign (running to June, results and
spend in March and April only; A's placement has an audience of 60 people and stops in
March), A's EUR and USD solo campaigns, and C's solo campaign (never A's)."""

from __future__ import annotations

import io
import random
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction

import pytest
import sqlalchemy as sa

from comarketing.audiences import services as audiences
from comarketing.budgets import claim_responses, claims, commitments, reversals
from comarketing.budgets.models import ClaimVersion, LedgerEntry
from comarketing.campaigns import lifecycle
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.extensions import db
from comarketing.metrics import entry
from comarketing.metrics.models import DailyMetric
from comarketing.money import split_by_shares, to_decimal_string
from comarketing.reports import dedup, frames, services, tables
from tests import campaign_helpers as ch
from tests import factories
from tests.offer_helpers import actor
from tests.reports.raw_spend import spend_by_cell

PM = "partner_manager"
START, END = date(2027, 3, 1), date(2027, 4, 30)
MAR25, APR1 = date(2027, 3, 25), date(2027, 4, 1)
THREE = "Three-way picnic"  # A (33.34 %), B and D (33.33 % each) of the budget
JUNE = (date(2027, 6, 1), date(2027, 6, 30))  # within the three-party campaign; nothing ran
FAIR = (date(2027, 3, 15), date(2027, 4, 10))  # the Fair placement's flight


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
        extra = ch.add_placement(
            a_pm, joint.id, world.a.id, channel="event", name="Fair", start=FAIR[0], end=FAIR[1]
        )
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
        # Flight reach (issue 16): the platforms' own deduplicated reach over each flight.
        db.session.get(Placement, joint.a_placement).flight_reach = 31_337
        db.session.get(Placement, extra).flight_reach = 777
        db.session.get(Placement, solo_placement).flight_reach = 12_345
        db.session.commit()
        c_solo = ch.solo_campaign(c_pm, f"Gamma {world.canary}")
        c_placement = ch.add_placement(c_pm, c_solo, world.c.id)
        _results(c_pm, c_placement, 6)
        three_party_campaign(world)
        db.session.remove()
    return world


def three_party_campaign(world: factories.World) -> int:
    """A+B+D, 1 March to 30 June: results and spend in March and April only; A's placement
    (results to 20 March, spend to 9 April) carries an audience of 60 people."""
    d = factories.make_company("D", "Delta Sugar")
    shares = {world.a.id: (3_334, 5_000), world.b.id: (3_333, 2_500), d.id: (3_333, 2_500)}
    campaign = lifecycle.create_joint_campaign(
        offer_id=None,
        proposer_organization_id=world.a.id,
        created_by_id=None,
        name=THREE,
        description="",
        start_date=START,
        end_date=JUNE[1],
        currency="EUR",
        total_budget_minor=900_000,
        target_reach=None,
        target_leads=None,
        target_revenue_minor=None,
        parties=[lifecycle.PartyShare(org, bp, rev) for org, (bp, rev) in shares.items()],
        placements=[
            lifecycle.PlannedPlacement("display", world.a.id, "Alpha display", 10_000),
            lifecycle.PlannedPlacement("social", world.b.id, "Beta social", 10_000),
            lifecycle.PlannedPlacement("search", d.id, "Delta search", 10_000),
        ],
    )
    commitments.record_commitments(
        campaign_id=campaign.id,
        currency="EUR",
        amounts=split_by_shares(900_000, {o: bp for o, (bp, _) in shares.items()}),
        created_by_id=None,
        note="Agreed shares",
    )
    db.session.commit()
    owned = dict(
        db.session.execute(
            sa.select(Placement.owner_organization_id, Placement.id).where(
                Placement.campaign_id == campaign.id
            )
        ).all()
    )
    pms = {
        org: company.email(PM)
        for org, company in ((world.a.id, world.a), (world.b.id, world.b), (d.id, d))
    }
    a, b = world.a.id, world.b.id
    _results(pms[a], owned[a], 7, START, date(2027, 3, 20))
    _results(pms[b], owned[b], 8)
    _results(pms[d.id], owned[d.id], 9, date(2027, 3, 10), END)
    ch.spend(pms[a], campaign.id, owned[a], 60_001, service=(date(2027, 3, 10), date(2027, 4, 9)))
    ch.spend(pms[b], campaign.id, owned[b], 45_555, service=(START, END))
    ch.spend(pms[d.id], campaign.id, owned[d.id], 33_333, service=(MAR25, APR1))
    audiences.upload_for_placement(
        actor(pms[a]),
        owned[a],
        io.BytesIO("".join(f"person{i}@example.com\n" for i in range(60)).encode()),
        "a.txt",
        audiences.Options(),
    )
    return campaign.id


def raw_cells(mine: set[int], start: date, end: date) -> dict[tuple[int, int, str], dict[str, int]]:
    """Per (campaign, placement, month) of ``mine`` with daily rows or spend in the period:
    the sums of the daily rows, the days reporting each figure, and the spend."""
    cells: dict[tuple[int, int, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for m in db.session.scalars(sa.select(DailyMetric)):
        if m.campaign_id in mine and start <= m.day <= end:
            cell = cells[(m.campaign_id, m.placement_id, m.day.strftime("%Y-%m"))]
            for name in ("impressions", "reach", "clicks", "leads", "conversions_hundredths"):
                cell[name] += getattr(m, name) or 0  # NULL: not reported, adds nothing
            cell["revenue"] += m.revenue_minor or 0
            # A ratio counts a cell only if it reported both parts on every day (issue 15).
            cell["days"] += 1
            cell["days_revenue"] += m.revenue_minor is not None
            cell["days_reach"] += m.reach is not None
    for key, spend in spend_by_cell(mine, start, end).items():
        cells[key]["spend"] += spend
    return cells


def independent(org: int, start: date, end: date) -> dict[tuple[str, str], dict]:
    """Straight loops over the raw rows: the definition of every figure, written plainly."""
    campaigns = {c.id: c for c in db.session.scalars(sa.select(Campaign))}
    parties = defaultdict(dict)
    for p in db.session.scalars(sa.select(CampaignParty)):
        parties[p.campaign_id][p.organization_id] = p
    mine = {cid for cid, ps in parties.items() if org in ps}
    cells = raw_cells(mine, start, end)
    out: dict[tuple[str, str], dict] = {}
    # Own shares are split per placement-month (the report's cell, issue 15).
    for (cid, placement_id, _month), cell in cells.items():
        campaign = campaigns[cid]
        budget = {o: p.budget_share_bp for o, p in parties[cid].items()}
        revenue = {o: p.revenue_share_bp for o, p in parties[cid].items()}
        key = (campaign.currency, campaign.kind)
        total = out.setdefault(key, defaultdict(int, campaigns=set()))
        for name in ("impressions", "reach", "clicks", "leads", "conversions_hundredths"):
            total[name] += cell[name]
        own_spend = split_by_shares(cell["spend"], budget)[org]
        own_revenue = split_by_shares(cell["revenue"], revenue)[org]
        total["spend_minor"] += own_spend
        total["whole_spend_minor"] += cell["spend"]  # all parties' shares (issue 16)
        total["revenue_minor"] += own_revenue
        total["campaigns"].add(cid)
        for part, own in (("revenue", own_revenue), ("reach", cell["reach"])):
            if cell["days"] and cell[f"days_{part}"] == cell["days"]:
                total[f"covered_spend_{part}"] += own_spend
                total[f"covered_{part}"] += own
        placed = total.setdefault("by_placement", defaultdict(lambda: defaultdict(int)))[
            placement_id
        ]
        placed["spend"] += own_spend
        placed["reach"] += cell["reach"]
        placed["reach_days"] += cell["days_reach"]
        placed["whole"] += cell["spend"]
        # Reach is known on a cell only if every day of it reported reach (a cell with spend
        # and no daily row reported nothing).
        placed["incomplete"] += not (cell["days"] and cell["days_reach"] == cell["days"])
    # People reached: a placement's flight reach where the period covers its whole flight,
    # else its daily reach summed (when any day reported it); shares of own spend by kind.
    for total in out.values():
        total["people"], total["kinds"] = None, defaultdict(int)
        for placement_id, own in total.pop("by_placement").items():
            placement = db.session.get(Placement, placement_id)
            flight = placement.flight_reach
            if flight is not None and start <= placement.start_date <= placement.end_date <= end:
                kind, value = "flight", flight
            elif own["reach_days"]:
                kind, value = "daily", own["reach"]
            else:
                kind, value = "none", None
            total["kinds"][kind] += own["spend"]
            if value is not None:
                total["people"] = (total["people"] or 0) + value
            if kind == "flight" or (kind == "daily" and not own["incomplete"]):
                total["known_people"] += value
                total["known_spend"] += own["spend"]
                total["known_whole"] += own["whole"]
    return out


def roi(want: dict) -> Fraction | None:
    """(revenue - spend) / spend over the cells that reported revenue on every day."""
    spend = want["covered_spend_revenue"]
    return Fraction(want["covered_revenue"] - spend, spend) if spend else None


def people_rate(want: dict, spend: str) -> Fraction:
    """People per unit of own (``spend``) or whole spend, over the placements whose people
    reached are known: the multipliers' sides."""
    return Fraction(want["known_people"], want[f"known_{spend}"])


@pytest.mark.parametrize(
    ("start", "end", "flights"),
    [
        (date(2027, 3, 10), date(2027, 4, 20), {"Fair"}),  # edges only
        (date(2027, 3, 1), date(2027, 4, 30), {"Fair", "Newsletter", "Alpha newsletter"}),
        (date(2027, 2, 15), date(2027, 4, 2), set()),  # an edge, a whole month, an edge
    ],
)
def test_the_dashboard_equals_the_straightforward_recomputation(app, seeded, start, end, flights):
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
        assert figures.roi == roi(want), key
        assert figures.people.value == want["people"], key
        assert figures.people.spend_by_kind == {
            kind: want["kinds"][kind] for kind in ("flight", "daily", "none")
        }, key
    eur = next(c for c in board.comparisons if c.currency == "EUR")
    # The flights the period covers count their flight reach (names of the placements).
    with app.app_context():
        covered = {
            p.name
            for p in db.session.scalars(sa.select(Placement))
            if p.flight_reach is not None and start <= p.start_date and p.end_date <= end
        }
    assert covered == flights
    assert (eur.joint.people.spend_by_kind["flight"] > 0) == bool(flights)
    joint, solo = expected[("EUR", "joint")], expected[("EUR", "solo")]
    assert eur.reach_multiplier == eur.measured.on_your_spend.value
    # Both multipliers on people reached, over the placements whose people are known.
    assert eur.measured.on_your_spend.value == people_rate(joint, "spend") / people_rate(
        solo, "spend"
    )
    assert eur.measured.on_whole_spend.value == people_rate(joint, "whole") / people_rate(
        solo, "whole"
    )
    assert eur.measured.on_your_spend.campaigns == (2, 1)  # too few for an interval
    assert eur.measured.on_your_spend.interval is None
    # Breakdowns add up to the headline, per currency and kind.
    for table in (board.by_channel, board.by_month):
        sums = table.groupby(["currency", "kind"])[["spend_minor", "reach"]].sum()
        for (currency, kind), row in sums.iterrows():
            assert row["spend_minor"] == got[(currency, kind)].spend_minor
            assert row["reach"] == got[(currency, kind)].reach


def test_a_period_in_which_nothing_ran_shows_nothing(app, seeded):
    """June: the three-party campaign is scheduled, A's placement has an audience, yet nothing
    ran: no figure, no deduplicated reach, no campaign listed without audience data."""
    world = seeded
    with app.app_context():
        a = actor(world.a.email("analyst"))
        board = services.dashboard(a, services.Period(*JUNE))
        assert independent(world.a.id, *JUNE) == {}
        figures = dedup.dashboard_figures(a, board)
        built = tables.all_tables(board)
    assert THREE in set(board.campaigns["name"])  # in scope, scheduled over June
    assert board.comparisons == [] and board.cells.empty
    assert all(not table.rows for table in built.values())
    assert (figures.joint.count, figures.solo.count, figures.incremental.count) == (0, 0, 0)
    assert figures.placements_with_audience == 0 and figures.joint_campaigns == 0
    assert figures.multipliers == [] and figures.overlaps == [] and figures.unsketched == []


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (START, END),  # A's placement with an audience ran (results to 20 March)
        (date(2027, 3, 21), date(2027, 4, 9)),  # it has spend only
        (date(2027, 4, 15), date(2027, 4, 30)),  # it did not run; its campaign did
    ],
)
def test_deduplicated_reach_follows_the_period(app, seeded, start, end):
    """Only placements with results or spend in the period count; a campaign with audience
    data is never listed as without it; the others that ran are, with their reported reach
    in the period (no placement here states a planned audience size)."""
    world = seeded
    with app.app_context():
        a = actor(world.a.email("analyst"))
        figures = dedup.dashboard_figures(a, services.dashboard(a, services.Period(start, end)))
        names = {c.id: c.name for c in db.session.scalars(sa.select(Campaign))}
        mine = set(
            db.session.scalars(
                sa.select(CampaignParty.campaign_id).where(
                    CampaignParty.organization_id == world.a.id
                )
            )
        )
        cells = raw_cells(mine, start, end)
        audience = db.session.scalar(
            sa.select(Placement.id).where(Placement.name == "Alpha display")
        )
    ran = {(c, p) for c, p, _ in cells}
    counted = any(p == audience for _, p in ran)
    assert figures.placements_with_audience == int(counted)
    assert (figures.joint.count, figures.joint.exact) == (60 if counted else 0, True)
    assert figures.joint_campaigns == int(counted) and figures.solo.count == 0
    reach: dict[int, int] = defaultdict(int)
    for (campaign, _, _), cell in cells.items():
        reach[campaign] += cell["reach"]
    expected = {names[c] for c, _ in ran} - {THREE}
    assert {u.name for u in figures.unsketched} == expected
    for u in figures.unsketched:
        assert u.estimate.reach == reach[u.campaign_id], u.name
        assert u.estimate.label == (
            f"{reach[u.campaign_id]:,}: reported reach (daily reach, summed), not deduplicated"
        )
