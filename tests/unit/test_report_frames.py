"""The report's DataFrame functions, without a database."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from comarketing.money import split_by_shares
from comarketing.reports import coverage, frames, headline
from comarketing.reports.campaign_frames import PlacementFigures, ranked
from tests.reports.report_cells import placements_of


@st.composite
def shares(draw: st.DrawFn) -> dict[int, int]:
    parties = draw(st.integers(1, 4))
    cuts = sorted(
        draw(st.lists(st.integers(0, 10_000), min_size=parties - 1, max_size=parties - 1))
    )
    points = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    ids = draw(st.lists(st.integers(1, 50), min_size=parties, max_size=parties, unique=True))
    return dict(zip(ids, points, strict=True))


@settings(max_examples=200, derandomize=True)
@given(cells=st.lists(st.tuples(st.integers(-(10**9), 10**12), shares()), min_size=1, max_size=8))
def test_share_of_is_split_by_shares_cell_by_cell(cells):
    amounts = pd.DataFrame(
        {"campaign_id": range(len(cells)), "amount": [amount for amount, _ in cells]}
    )
    parties = pd.DataFrame(
        [
            {"campaign_id": i, "organization_id": org, "bp": bp}
            for i, (_, split) in enumerate(cells)
            for org, bp in split.items()
        ]
    )
    for org in {org for _, split in cells for org in split}:
        got = frames.share_of(amounts, "amount", parties, "bp", org).tolist()
        want = [split_by_shares(amount, split).get(org, 0) for amount, split in cells]
        assert got == want


def _cells(rows, reported_cost=None):
    """Placement-month cells (one placement each) from rows of campaign, kind, currency,
    channel, month, impressions, reach, clicks, leads, conversions, spend, revenue: every figure
    reported on every day; the reported cost is 0 unless given."""
    names = ["impressions", "reach", "clicks", "leads", "conversions", "spend_minor"]
    cells = pd.DataFrame(
        rows,
        columns=["campaign_id", "kind", "currency", "channel", "month", *names, "revenue_minor"],
    )
    cells["placement_id"] = range(1, len(rows) + 1)
    cells["conversions_hundredths"] = cells.pop("conversions") * 100
    cells["reported_cost_minor"] = reported_cost or [0] * len(rows)
    for part in coverage.METRIC_PARTS:
        cells[f"full__{part}"] = True
        cells[f"any__{part}"] = True
    return coverage.with_coverage_parts(cells)


def test_reported_cost_is_shown_beside_spend_never_in_it():
    cells = _cells(
        [
            (1, "joint", "EUR", "email", "2027-03", 1000, 600, 10, 2, 1, 10_000, 5_000),
            (2, "joint", "EUR", "social", "2027-03", 0, 0, 0, 0, 0, 0, 0),
        ],
        reported_cost=[12_500, 700],
    )
    (eur,) = frames.comparisons(placements_of(cells))
    assert eur.joint.spend_minor == 10_000
    assert eur.joint.reported_cost_minor == 13_200
    assert eur.joint.cost_difference_minor == 3_200
    assert eur.joint.roi == Fraction(5_000 - 10_000, 10_000)  # on spend, not on reported cost


def test_comparisons_keep_currencies_apart_and_compute_the_multiplier():
    cells = _cells(
        [
            (1, "joint", "EUR", "email", "2027-03", 1000, 600, 10, 2, 1, 10_000, 5_000),
            (2, "solo", "EUR", "email", "2027-03", 500, 200, 5, 1, 0, 10_000, 2_000),
            (3, "solo", "USD", "search", "2027-03", 900, 300, 9, 0, 0, 4_000, 0),
        ]
    )
    eur, usd = frames.comparisons(placements_of(cells))
    assert (eur.currency, usd.currency) == ("EUR", "USD")
    assert eur.joint.reach == 600 and eur.solo.reach == 200
    assert eur.reach_multiplier == Fraction(3)
    assert headline.reading(eur) == (
        "Per euro of your own spend joint campaigns reached 3.0x as many as solo campaigns "
        "(daily reach, summed); on the campaigns' whole spend 3.0x. The comparison rests on too "
        "few campaigns "
        "(joint: 1, solo: 1): read it as an anecdote, not a measurement."
    )
    assert eur.joint.roi == Fraction(5_000 - 10_000, 10_000)
    assert usd.reach_multiplier is None
    assert usd.missing == ["no joint campaign has results or spend in this period"]
    assert usd.solo.cpl_minor is None  # no leads: no division by zero
    assert "need both joint and solo" in headline.reading(usd)


def test_breakdowns_and_partners():
    cells = _cells(
        [
            (1, "joint", "EUR", "email", "2027-03", 1000, 600, 10, 2, 1, 100, 50),
            (1, "joint", "EUR", "social", "2027-04", 10, 6, 1, 0, 0, 1, 0),
            (2, "solo", "EUR", "email", "2027-03", 5, 2, 0, 0, 0, 3, 0),
        ]
    )
    by_channel = frames.breakdown(placements_of(cells), "channel")
    assert by_channel[["channel", "kind", "reach"]].values.tolist() == [
        ["email", "joint", 600],
        ["email", "solo", 2],
        ["social", "joint", 6],
    ]
    campaigns = pd.DataFrame({"campaign_id": [1, 2], "kind": ["joint", "solo"]})
    parties = pd.DataFrame(
        {"campaign_id": [1, 1, 2], "organization_id": [7, 8, 7], "name": ["Me", "Them", "Me"]}
    )
    partners = frames.partners_of(campaigns, parties, 7)
    assert partners.values.tolist() == [[1, 8, "Them"]]
    table = frames.by_partner(placements_of(cells), partners)
    assert table[["partner", "campaigns", "reach", "spend_minor"]].values.tolist() == [
        ["Them", 1, 606, 101]
    ]


def test_a_kind_with_no_spend_says_so():
    cells = _cells(
        [
            (1, "joint", "EUR", "email", "2027-03", 100, 60, 1, 0, 0, 0, 0),
            (2, "solo", "EUR", "email", "2027-03", 100, 60, 1, 0, 0, 50, 0),
        ]
    )
    [eur] = frames.comparisons(placements_of(cells))
    assert eur.reach_multiplier is None
    assert eur.missing == ["no joint spend is recorded in this period"]


def test_a_ranking_lists_placements_without_spend_or_denominator_after_the_ranked_ones():

    def placement(pid: int, name: str, spend: int, reach: int, leads: int) -> PlacementFigures:
        return PlacementFigures(pid, name, "email", 1, "A", spend, 0, reach, 0, leads)

    placements = [
        placement(1, "free reach", 0, 1_000, 10),  # would be €0.00 per 1,000: first, wrongly
        placement(2, "dear", 5_000, 1_000, 1),
        placement(3, "cheap", 1_000, 1_000, 0),
        placement(4, "nothing", 0, 0, 0),
    ]
    by_reach = [
        (r.rank, r.placement.name, r.unranked_reason)
        for r in ranked(placements, "cost_per_thousand_reached_minor")
    ]
    assert by_reach == [
        (1, "cheap", None),
        (2, "dear", None),
        (None, "free reach", "no spend recorded"),
        (None, "nothing", "no spend recorded, no reach reported"),
    ]
    by_lead = [
        (r.rank, r.placement.name, r.unranked_reason) for r in ranked(placements, "cpl_minor")
    ]
    assert by_lead == [
        (1, "dear", None),
        (None, "cheap", "no leads reported"),
        (None, "free reach", "no spend recorded"),
        (None, "nothing", "no spend recorded, no leads reported"),
    ]
    assert placements[0].cost_per_thousand_reached_minor is None
    assert placements[0].cpl_minor is None
