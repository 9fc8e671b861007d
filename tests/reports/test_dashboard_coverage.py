"""Reports count only what was reported (issue 15): on a data set where placements leave
figures out (a whole column, some days, a month), the dashboard's sums, ratios and coverage
equal a plain recomputation from the raw daily rows and claims by placement-month; a ratio under
half covered says so; a figure nobody reported is "not reported", never 0 (page, API, CSV);
and the dashboard runs the same queries for few placements or many. Runs on SQLite and, with
``--backend=postgresql``, on PostgreSQL."""

from __future__ import annotations

import csv
import io
import random
from collections import defaultdict
from datetime import date, timedelta
from fractions import Fraction

import pytest
import sqlalchemy as sa

from comarketing.api import services as api_tokens
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.extensions import db
from comarketing.metrics import entry
from comarketing.metrics.models import DailyMetric
from comarketing.money import split_by_shares, to_decimal_string
from comarketing.reports import coverage, services
from comarketing.reports.people import DAILY_LABEL
from tests import campaign_helpers as ch
from tests.offer_helpers import actor
from tests.reports.raw_spend import spend_by_cell

PM = "partner_manager"
START, END = date(2027, 3, 1), date(2027, 4, 30)
FIGURES = ("impressions", "reach", "clicks", "leads", "conversions_hundredths", "revenue", "cost")
PART = {
    "impressions": "impressions",
    "reach": "reach",
    "clicks": "clicks",
    "leads": "leads",
    "conversions_hundredths": "conversions_hundredths",
    "revenue": "revenue_minor",
    "cost": "reported_cost_minor",
}


def _results(email, placement, seed, *, blank=(), blank_from=None, first=START, last=END):
    """Random days; the figures in ``blank`` are not reported (an empty cell), on every day or
    from ``blank_from`` on."""
    rng = random.Random(seed)
    days = []
    day = first
    while day <= last:
        if rng.random() < 0.8:
            impressions = rng.randint(0, 50_000)
            row = {
                "day": day.isoformat(),
                "impressions": str(impressions),
                "reach": str(rng.randint(0, impressions)),
                "clicks": str(rng.randint(0, 900)),
                "leads": str(rng.randint(0, 40)),
                "conversions": f"{rng.randint(0, 1500) / 100:.2f}",
                "revenue": to_decimal_string(rng.randint(0, 900_000), "EUR"),
                "cost": to_decimal_string(rng.randint(0, 90_000), "EUR"),
            }
            if blank_from is None or day >= blank_from:
                for name in blank:
                    row[name] = ""
            days.append(row)
        day += timedelta(days=1)
    entry.upsert_days(actor(email), placement, days)


@pytest.fixture
def seeded(app, world):
    a_pm, b_pm = world.a.email(PM), world.b.email(PM)
    with app.app_context():
        joint = ch.joint_campaign(world, budget_minor=50_000_000, a_share_bp=6_667)
        search = ch.add_placement(a_pm, joint.id, world.a.id, channel="search", name="Search")
        fair = ch.add_placement(a_pm, joint.id, world.a.id, channel="event", name="Fair")
        _results(a_pm, joint.a_placement, 1)
        # B's platform has no reach column; leads stop being reported in April.
        _results(b_pm, joint.b_placement, 2, blank=("reach",))
        _results(b_pm, joint.b_placement, 3, blank=("reach", "leads"), first=date(2027, 4, 1))
        # Search: the big spender that reports no reach, leads, conversions nor revenue.
        _results(
            a_pm,
            search,
            4,
            blank=("reach", "leads", "conversions", "revenue"),
            last=date(2027, 3, 31),
        )
        # The fair reports reach in March only.
        _results(a_pm, fair, 5, blank=("reach",), blank_from=date(2027, 4, 1))
        ch.spend(
            a_pm,
            joint.id,
            joint.a_placement,
            123_457,
            service=(date(2027, 3, 5), date(2027, 4, 13)),
        )
        ch.spend(b_pm, joint.id, joint.b_placement, 77_771, service=(date(2027, 4, 10),) * 2)
        ch.spend(a_pm, joint.id, search, 11_375_885, service=(date(2027, 3, 1), date(2027, 3, 31)))
        ch.spend(a_pm, joint.id, fair, 9_999, service=(date(2027, 3, 20), date(2027, 4, 5)))
        solo = ch.solo_campaign(a_pm, "Alpha solo")
        solo_placement = ch.add_placement(a_pm, solo, world.a.id, channel="email")
        ch.commit(a_pm, solo, 500_000)
        _results(a_pm, solo_placement, 6)
        ch.spend(a_pm, solo, solo_placement, 44_444, service=(date(2027, 4, 1), date(2027, 4, 30)))
        # Nobody reported reach, leads or revenue in dollars.
        dollars = ch.solo_campaign(a_pm, "Alpha US", currency="USD")
        dollar_placement = ch.add_placement(a_pm, dollars, world.a.id, channel="search")
        _results(a_pm, dollar_placement, 7, blank=("reach", "leads", "revenue"))
        ch.commit(a_pm, dollars, 500_000)
        ch.spend(a_pm, dollars, dollar_placement, 30_000, service=(date(2027, 3, 2),) * 2)
        db.session.remove()
    return world


def independent(org: int, start: date, end: date) -> dict[tuple[str, str], dict]:
    """Plain loops over the raw rows, by placement-month: the definition of every figure."""
    campaigns = {c.id: c for c in db.session.scalars(sa.select(Campaign))}
    parties = defaultdict(dict)
    for p in db.session.scalars(sa.select(CampaignParty)):
        parties[p.campaign_id][p.organization_id] = p
    mine = {cid for cid, ps in parties.items() if org in ps}
    cells = defaultdict(lambda: {"rows": 0, "spend": 0, **{f: [0, 0] for f in FIGURES}})
    columns = {"revenue": "revenue_minor", "cost": "cost_minor"}
    for m in db.session.scalars(sa.select(DailyMetric)):
        if m.campaign_id in mine and start <= m.day <= end:
            cell = cells[(m.campaign_id, m.placement_id, m.day.strftime("%Y-%m"))]
            cell["rows"] += 1
            for f in FIGURES:
                value = getattr(m, columns.get(f, f))
                if value is not None:
                    cell[f][0] += value
                    cell[f][1] += 1
    for key, spend in spend_by_cell(mine, start, end).items():
        cells[key]["spend"] += spend
    out: dict[tuple[str, str], dict] = {}
    for (cid, pid, _month), cell in cells.items():
        campaign = campaigns[cid]
        budget = {o: p.budget_share_bp for o, p in parties[cid].items()}
        revenue = {o: p.revenue_share_bp for o, p in parties[cid].items()}
        group = out.setdefault(
            (campaign.currency, campaign.kind),
            {
                "campaigns": set(),
                "placements": set(),
                "missing": defaultdict(set),
                "sums": defaultdict(int),
                "reported": set(),
                "cells": [],
            },
        )
        group["campaigns"].add(cid)
        group["placements"].add(pid)
        values = {"spend_minor": split_by_shares(cell["spend"], budget)[org]}
        full = {"spend_minor": True}
        for f in FIGURES:
            amount, count = cell[f]
            if f == "revenue":
                amount = split_by_shares(amount, revenue)[org]
            elif f == "cost":
                amount = split_by_shares(amount, budget)[org]
            values[PART[f]] = amount
            full[PART[f]] = cell["rows"] > 0 and count == cell["rows"]
            if count:
                group["reported"].add(PART[f])
            if not full[PART[f]]:
                group["missing"][PART[f]].add(pid)
        for part, amount in values.items():
            group["sums"][part] += amount
        group["cells"].append((values, full))
    return out


def _covered(group: dict, a: str, b: str) -> tuple[int, int]:
    both = [values for values, full in group["cells"] if full[a] and full[b]]
    return sum(v[a] for v in both), sum(v[b] for v in both)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2027, 3, 10), date(2027, 4, 20)),  # edges only
        (date(2027, 3, 1), date(2027, 4, 30)),  # two whole months: the rollup
        (date(2027, 2, 15), date(2027, 4, 2)),  # an edge, a whole month, an edge
    ],
)
def test_sums_ratios_and_coverage_equal_the_plain_recomputation(app, seeded, start, end):
    world = seeded
    with app.app_context():
        board = services.dashboard(actor(world.a.email("analyst")), services.Period(start, end))
        expected = independent(world.a.id, start, end)
    got = {(c.currency, k): getattr(c, k) for c in board.comparisons for k in ("joint", "solo")}
    assert {key for key, f in got.items() if f.campaigns} == set(expected)
    for key, want in expected.items():
        figures = got[key]
        assert figures.campaigns == len(want["campaigns"])
        assert figures.placements == len(want["placements"])
        assert figures.spend_minor == want["sums"]["spend_minor"], key
        for part in coverage.METRIC_PARTS:
            value = want["sums"][part] if part in want["reported"] else None
            assert getattr(figures, part) == value, (key, part)
            assert figures.missing[part] == len(want["missing"][part]), (key, part)
        for spec in coverage.RATIOS:
            cover = figures.coverage[spec.name]
            covered = _covered(want, spec.a, spec.b)
            assert (cover.covered_a, cover.covered_b) == covered, (key, spec.name)
            assert (cover.total_a, cover.total_b) == (
                want["sums"][spec.a],
                want["sums"][spec.b],
            ), (key, spec.name)
        spend, reach = _covered(want, "spend_minor", "reach")
        assert figures.cost_per_thousand_reached_minor == (
            Fraction(spend * 1000, reach) if reach else None
        )
        spend, revenue = _covered(want, "spend_minor", "revenue_minor")
        assert figures.roi == (Fraction(revenue - spend, spend) if spend else None)
        hundredths, clicks = _covered(want, "conversions_hundredths", "clicks")
        assert figures.conversion_rate == (Fraction(hundredths, clicks * 100) if clicks else None)
    # Breakdowns add up to the headline, covered parts included.
    for table in (board.by_channel, board.by_month):
        sums = table.groupby(["currency", "kind"])[
            ["spend_minor", "reach", "cost_per_thousand_reached_minor__a"]
        ].sum()
        for (currency, kind), row in sums.iterrows():
            figures = got[(currency, kind)]
            assert row["spend_minor"] == figures.spend_minor
            assert row["reach"] == (figures.reach or 0)
            assert row["cost_per_thousand_reached_minor__a"] == (
                figures.coverage["cost_per_thousand_reached_minor"].covered_a
            )


def test_search_spend_without_reach_is_left_out_and_the_page_says_under_half(
    app, seeded, client, login_as
):
    world = seeded
    with app.app_context():
        board = services.dashboard(actor(world.a.email("analyst")), services.Period(START, END))
    eur = next(c for c in board.comparisons if c.currency == "EUR")
    cover = eur.joint.coverage["cost_per_thousand_reached_minor"]
    assert cover.below_half  # the search spend is most of the joint spend
    assert cover.notice.startswith("based on under half of spend: reach reported for ")
    assert eur.joint.note("reach") == f"not reported for 3 of {eur.joint.placements} placements"
    login_as(world.a.email("analyst"))
    html = client.get("/reports?preset=custom&start=2027-03-01&end=2027-04-30").get_data(
        as_text=True
    )
    assert cover.notice in html
    assert "not reported for 3 of 4 placements" in html
    with app.app_context():
        _, token = api_tokens.create_token(
            actor(world.a.email("analyst")), name="coverage", scope="read", days=30
        )
        db.session.remove()
    api = client.get(
        "/api/v1/reports/dashboard?preset=custom&start=2027-03-01&end=2027-04-30",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert api.status_code == 200, api.get_json()
    eur_api = next(c for c in api.get_json()["currencies"] if c["currency"] == "EUR")
    joint = eur_api["joint"]
    assert joint["coverage"]["cost_per_thousand_reached"]["notice"] == cover.notice
    assert joint["coverage"]["cost_per_thousand_reached"]["below_half"] is True
    assert joint["not_reported"]["reach"] == 3 and joint["placements"] == 4
    assert any(
        n.startswith("Joint campaigns, Cost per 1,000 reached: based on under half")
        for n in (eur_api["notices"])
    )
    usd_api = next(c for c in api.get_json()["currencies"] if c["currency"] == "USD")
    assert usd_api["solo"]["reach"] is None and usd_api["solo"]["revenue"] is None
    assert usd_api["solo"]["cost_per_thousand_reached"] is None


def test_a_figure_nobody_reported_is_not_reported_never_zero(app, seeded, client, login_as):
    world = seeded
    with app.app_context():
        board = services.dashboard(actor(world.a.email("analyst")), services.Period(START, END))
    usd = next(c for c in board.comparisons if c.currency == "USD")
    assert usd.solo.reach is None and usd.solo.leads is None and usd.solo.revenue_minor is None
    assert usd.solo.impressions is not None
    assert usd.solo.cost_per_thousand_reached_minor is None and usd.solo.roi is None
    assert usd.solo.note("reach") == "not reported"
    # Said once as "not reported", not again as an under-half notice per ratio.
    assert usd.notices == [] and "no solo reach is reported in this period" in usd.missing
    login_as(world.a.email("analyst"))
    body = client.get("/reports/headline.csv?preset=custom&start=2027-03-01&end=2027-04-30")
    rows = list(csv.DictReader(io.StringIO(body.get_data(as_text=True).lstrip("\ufeff"))))
    solo_usd = next(r for r in rows if r["Currency"] == "USD" and r["Campaigns of kind"] == "Solo")
    assert solo_usd[DAILY_LABEL] == "not reported"
    assert solo_usd["Own revenue"] == "not reported"
    assert solo_usd["ROI (%)"] == ""
    assert solo_usd["ROI (%): coverage (%)"] == "0"
    assert (
        "ROI (%): based on under half of spend: revenue reported for 0 %"
        in (solo_usd["Coverage notes"])
    )
    joint_eur = next(
        r for r in rows if r["Currency"] == "EUR" and r["Campaigns of kind"] == "Joint"
    )
    assert Fraction(joint_eur["Cost per 1,000 of daily reach, summed: coverage (%)"]) < 50


def test_the_dashboard_runs_the_same_queries_for_few_placements_or_many(
    app, world, client, login_as, query_counter
):
    pm = world.a.email(PM)
    counts = []
    for n in (2, 12):
        with app.app_context():
            campaign = ch.solo_campaign(pm, f"Many {n}")
            ch.commit(pm, campaign, 1_000_000)
            for i in range(n):
                placement = ch.add_placement(pm, campaign, world.a.id, name=f"P{n}-{i}")
                _results(pm, placement, i, blank=("reach",) if i % 2 else ())
                ch.spend(pm, campaign, placement, 100 + i, service=(START, date(2027, 4, 12)))
            db.session.remove()
        login_as(world.a.email("analyst"))
        with query_counter() as statements:
            page = client.get("/reports?preset=custom&start=2027-03-05&end=2027-04-20")
            assert page.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
