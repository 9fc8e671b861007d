"""The campaign-level bootstrap (issue 16), without a database: per-campaign rows, a fixed seed
giving a fixed interval, intervals around the point estimates, too few campaigns, speed."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np
import pandas as pd

from comarketing.reports import bootstrap
from tests.reports.report_cells import cells, placements_of

JOINT = [(1200, 5000, 7000), (800, 4000, 3000), (1500, 6000, 9000), (600, 3000, 2500)]
JOINT += [(2000, 9000, 14000), (900, 5000, 4000)]
SOLO = [(500, 6000, 8000), (700, 8000, 9000), (400, 5000, 7500), (900, 9000, 12000)]
SOLO += [(300, 4000, 5000)]


def six_and_five() -> pd.DataFrame:
    """Six joint campaigns (half of each paid by the organization) and five solo ones."""
    rows = [
        {"campaign_id": i, "kind": "joint", "reach": r, "spend": s, "whole": 2 * s, "revenue": v}
        for i, (r, s, v) in enumerate(JOINT, start=1)
    ]
    rows += [
        {"campaign_id": 100 + i, "kind": "solo", "reach": r, "spend": s, "revenue": v}
        for i, (r, s, v) in enumerate(SOLO)
    ]
    return placements_of(cells(rows))


def test_campaign_rows_sum_placements_and_count_reach_only_where_known():
    placements = placements_of(
        cells(
            [
                {"campaign_id": 1, "kind": "joint", "reach": 100, "spend": 10, "whole": 30},
                {"campaign_id": 1, "kind": "joint", "reach": 50, "spend": 5, "whole": 20},
                {"campaign_id": 1, "kind": "joint", "reach": None, "spend": 7, "whole": 9},
                {"campaign_id": 2, "kind": "solo", "reach": 40, "spend": 8, "revenue": 12},
            ]
        )
    )
    rows = bootstrap.campaign_rows(placements)
    assert rows[["campaign_id", *bootstrap.ROW_PARTS]].values.tolist() == [
        # people, own and whole spend where people are known, ROI's spend and gain, known
        [1, 150, 15, 50, 22, -22, 2],
        [2, 40, 8, 8, 8, 4, 1],
    ]


def test_a_fixed_seed_gives_a_fixed_interval_around_the_point_estimate():
    first = bootstrap.by_currency(six_and_five())["EUR"]
    again = bootstrap.by_currency(six_and_five())["EUR"]
    assert first == again
    own, whole, roi = first.on_your_spend, first.on_whole_spend, first.roi
    assert own.value == Fraction(5, 2) and whole.value == Fraction(5, 4)
    assert roi.value == Fraction(-1, 16)
    assert own.interval == (Fraction(627, 280), Fraction(2581, 925))  # 2.24 to 2.79
    assert whole.interval == (Fraction(627, 560), Fraction(2581, 1850))  # half: whole = 2 x own
    assert roi.interval == (Fraction(-369, 1054), Fraction(93, 602))  # -35.0 to +15.4 points
    for compared in (own, whole, roi):
        assert compared.campaigns == (6, 5) and compared.warning is None
        assert compared.interval is not None
        low, high = compared.interval
        assert compared.value is not None and low <= compared.value <= high
    assert first.people == (7000, 2800)


def test_fewer_than_three_campaigns_on_a_side_give_a_warning_and_no_interval():
    placements = six_and_five()
    two_solo = placements[~placements["campaign_id"].isin([100, 101, 102])]
    measured = bootstrap.by_currency(two_solo)["EUR"]
    for compared in (measured.on_your_spend, measured.on_whole_spend, measured.roi):
        assert compared.value is not None and compared.interval is None
        assert compared.campaigns == (6, 2)
        assert compared.warning == "rests on too few campaigns (joint: 6, solo: 2)"


def test_campaigns_without_reach_stand_behind_roi_but_not_the_multipliers():
    rows = [
        {"campaign_id": i, "kind": kind, "reach": None if i % 2 else 100, "spend": 10 + i}
        for i, kind in enumerate(["joint"] * 4 + ["solo"] * 4)
    ]
    measured = bootstrap.by_currency(placements_of(cells(rows)))["EUR"]
    assert measured.on_your_spend.campaigns == (2, 2)
    assert measured.on_your_spend.interval is None
    assert measured.roi.campaigns == (4, 4) and measured.roi.interval is not None


def test_the_bootstrap_of_a_thousand_campaigns_takes_milliseconds():
    rng = np.random.default_rng(7)
    n = 1_000
    spend = rng.integers(10_000, 1_000_000, n)
    rows = pd.DataFrame(
        {
            "currency": "EUR",
            "kind": np.where(np.arange(n) < n // 2, "joint", "solo"),
            "campaign_id": np.arange(n),
            "people": rng.integers(1_000, 100_000, n),
            "people_spend_minor": spend,
            "people_campaign_spend_minor": spend * 2,
            "roi_spend": spend,
            "roi_gain": rng.integers(-100_000, 1_000_000, n),
            "people_known": 1,
        }
    )
    bootstrap.compare(rows)  # warm up
    started = time.perf_counter()
    measured = bootstrap.compare(rows)
    elapsed = time.perf_counter() - started
    assert measured.on_your_spend.interval is not None
    assert elapsed < 0.25, elapsed  # about 5 ms idle, 10 ms on a busy two-core machine
