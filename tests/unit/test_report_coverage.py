"""Coverage arithmetic without a database: ratios over the placement-months that reported both
parts, the share of each part they cover, the under-half notice and "not reported"."""

from __future__ import annotations

from fractions import Fraction

import pandas as pd

from comarketing.reports import coverage

PARTS = coverage.PARTS


def cell(placement: int, spend: int, **reported: int | None) -> dict:
    """A placement-month: figures given as numbers are reported on every day, None on none,
    and a figure given as ("some", n) on some days only (n summed)."""
    row: dict = {"campaign_id": 1, "placement_id": placement, "kind": "joint", "spend_minor": spend}
    for part in coverage.METRIC_PARTS:
        value = reported.get(part)
        if isinstance(value, tuple):
            row[part], row[f"full__{part}"], row[f"any__{part}"] = value[1], False, True
        elif value is None:
            row[part], row[f"full__{part}"], row[f"any__{part}"] = 0, False, False
        else:
            row[part], row[f"full__{part}"], row[f"any__{part}"] = value, True, True
    return row


def figures(rows: list[dict]) -> coverage.Figures:
    cells = coverage.with_coverage_parts(pd.DataFrame(rows))
    (row,) = coverage.totals(cells, ["kind"]).to_dict("records")
    return coverage.figures_from(row)


def test_a_ratio_uses_only_the_placements_that_reported_both_parts():
    # Search spent 113,758.85 and reported no reach: it is left out of the cost per reached,
    # not counted as reaching nobody.
    f = figures(
        [
            cell(1, 30_000, reach=10_000, impressions=40_000),
            cell(2, 20_000, reach=5_000, impressions=20_000),
            cell(3, 11_375_885, impressions=900_000),
        ]
    )
    assert f.reach == 15_000
    assert f.cost_per_thousand_reached_minor == Fraction(50_000 * 1000, 15_000)
    assert f.cpm_minor == Fraction(11_425_885 * 1000, 960_000)
    # Frequency: only the placements with both impressions and reach.
    assert f.frequency == Fraction(60_000, 15_000)
    c = f.coverage["cost_per_thousand_reached_minor"]
    assert c.share_a == Fraction(50_000, 11_425_885)
    assert c.share_b == 1
    assert c.text == "reach reported for under 1 % of spend"
    assert c.below_half
    assert c.notice == "based on under half of spend: reach reported for under 1 %"
    assert f.coverage["cpm_minor"].text == "impressions reported for 100 % of spend"
    assert f.coverage["cpm_minor"].notice is None
    assert f.note("reach") == "not reported for 1 of 3 placements"
    assert f.note("impressions") is None


def test_coverage_is_never_rounded_up_to_all_nor_down_to_none():
    f = figures([cell(1, 995, reach=10), cell(2, 5)])
    assert f.coverage["cost_per_thousand_reached_minor"].text == (
        "reach reported for 99 % of spend"
    )
    assert coverage.percent_text(Fraction(62, 100)) == "62 %"
    assert coverage.percent_text(Fraction(1, 1000)) == "under 1 %"
    assert coverage.percent_text(Fraction(0)) == "0 %"


def test_a_figure_nobody_reported_is_not_reported_never_zero():
    f = figures([cell(1, 10_000, impressions=100), cell(2, 5_000, impressions=50)])
    assert f.reach is None and f.note("reach") == "not reported"
    assert f.leads is None and f.cpl_minor is None
    assert f.revenue_minor is None and f.roi is None  # not -100 %
    assert f.coverage["roi"].text == "revenue reported for 0 % of spend"
    assert f.coverage["roi"].notice == "based on under half of spend: revenue reported for 0 %"
    assert f.reported_cost_minor is None and f.cost_difference_minor is None
    # A real zero stays zero.
    zero = figures([cell(1, 10_000, reach=0, leads=0)])
    assert zero.reach == 0 and zero.leads == 0 and zero.cpl_minor is None


def test_a_placement_reporting_on_some_days_only_is_left_out_of_ratios_and_said():
    f = figures(
        [
            cell(1, 10_000, clicks=100, conversions_hundredths=247),
            cell(2, 10_000, clicks=("some", 50), conversions_hundredths=1_000),
        ]
    )
    assert f.clicks == 150  # the sum of what was reported
    assert f.conversions == Fraction(1_247, 100)
    assert f.conversion_rate == Fraction(247, 100 * 100)
    assert f.note("clicks") == "not reported for 1 of 2 placements"
    cov = f.coverage["conversion_rate"]
    assert (cov.share_a, cov.share_b) == (Fraction(247, 1_247), Fraction(100, 150))
    assert cov.text == "clicks reported for 19 % of conversions"


def test_revenue_and_reported_cost_count_where_reported():
    f = figures(
        [
            cell(1, 10_000, revenue_minor=30_000, reported_cost_minor=12_000),
            cell(2, 30_000),
        ]
    )
    assert f.roi == Fraction(30_000 - 10_000, 10_000)
    assert f.coverage["roi"].text == "revenue reported for 25 % of spend"
    assert f.cost_difference_minor == 2_000  # 12,000 reported against its own 10,000 spend
    assert f.spend_minor == 40_000


def test_an_empty_group_has_no_figures():
    empty = coverage.figures_from(None)
    assert empty.reach is None and empty.note("reach") is None and empty.cpm_minor is None
    assert coverage.totals(pd.DataFrame(), ["kind"]).empty
