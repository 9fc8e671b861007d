"""Both reach multipliers, the ROI comparison and the headline (issue 16): exact on small
frames without a database, then on the page and over the API for three joint and three solo
campaigns (an interval) and for one of each (the too-few warning)."""

from __future__ import annotations

import re
from datetime import date
from fractions import Fraction

import pytest

from comarketing.extensions import db
from comarketing.reports import frames, headline, services
from tests import campaign_helpers as ch
from tests.api.conftest import api_as, make_token  # noqa: F401 - fixtures
from tests.offer_helpers import actor
from tests.reports.report_cells import cells, placements_of
from tests.reports.test_bootstrap import six_and_five
from tests.reports.test_dashboard_figures import PM, _results, seeded  # noqa: F401 - fixture

PERIOD = "?preset=custom&start=2027-03-01&end=2027-04-30"


def comparison(rows: list[dict]) -> frames.Comparison:
    (eur,) = frames.comparisons(placements_of(cells(rows)))
    return eur


def test_a_50_50_campaign_as_efficient_as_solo_scores_2x_on_your_spend_and_1x_on_whole():
    eur = comparison(
        [
            # Joint: 1,000 people for €100 whole, of which the organization paid €50.
            {"campaign_id": 1, "kind": "joint", "reach": 1000, "spend": 5000, "whole": 10_000},
            {"campaign_id": 2, "kind": "solo", "reach": 1000, "spend": 10_000},
        ]
    )
    own, whole = eur.measured.on_your_spend, eur.measured.on_whole_spend
    assert own.value == Fraction(2) and whole.value == Fraction(1)
    assert eur.reach_multiplier == own.value  # the API's old field
    assert (own.joint, own.solo) == (Fraction(1, 5), Fraction(1, 10))  # people per cent
    assert (whole.joint, whole.solo) == (Fraction(1, 10), Fraction(1, 10))


def test_the_multipliers_use_only_placements_that_reported_reach():
    eur = comparison(
        [
            {"campaign_id": 1, "kind": "joint", "reach": 600, "spend": 3000, "whole": 9000},
            {"campaign_id": 1, "kind": "joint", "reach": None, "spend": 7000, "whole": 9000},
            {"campaign_id": 2, "kind": "solo", "reach": 100, "spend": 1000},
        ]
    )
    measured = eur.measured
    assert measured.on_your_spend.value == Fraction(600, 3000) / Fraction(100, 1000)
    assert measured.on_whole_spend.value == Fraction(600, 9000) / Fraction(100, 1000)
    assert measured.people == (600, 100)


def test_the_reading_says_both_multipliers_and_where_joint_loses_in_the_same_sentence():
    eur = frames.comparisons(six_and_five())[0]
    assert headline.reading(eur) == (
        "Per euro of your own spend joint campaigns reached 2.5x as many as solo campaigns "
        "(daily reach, summed); on the campaigns' whole spend 1.3x — but their ROI was lower "
        "(23.4 % against 29.7 %)."
    )
    tiles = {t.key: t for t in headline.tiles(eur)}
    assert tiles["roi"].better == "solo" and tiles["reach-own"].better == "joint"
    assert tiles["spend"].better is None and tiles["people"].better is None
    # 7,000 people for €320.00 own spend, €640.00 whole: per €1,000.
    assert tiles["reach-own"].text("joint", "EUR") == "21,875.00"
    assert tiles["reach-whole"].text("joint", "EUR") == "10,937.50"
    assert tiles["people"].label == "Daily reach, summed (a person counts once per day)"
    assert "incremental" not in tiles


def test_the_reading_says_when_an_interval_cannot_tell_a_multiplier_from_1x():
    # Whole spend: joint campaigns as efficient as solo ones give or take; own spend: 2x.
    rows = [
        {"campaign_id": i, "kind": "joint", "reach": r, "spend": 1000, "whole": 2000}
        for i, r in enumerate([150, 250, 180, 220, 200], start=1)
    ]
    rows += [
        {"campaign_id": 10 + i, "kind": "solo", "reach": r, "spend": 2000}
        for i, r in enumerate([210, 190, 160, 240, 200])
    ]
    eur = comparison(rows)
    whole = eur.measured.on_whole_spend
    assert eur.measured.on_your_spend.value == 2 and whole.value == 1
    assert whole.interval is not None and whole.interval[0] < 1 < whole.interval[1]
    low, high = (f"{headline.half_up(end, 2)}x" for end in whole.interval)
    assert headline.reading(eur) == (
        "Per euro of your own spend joint campaigns reached 2.0x as many as solo campaigns "
        "(daily reach, summed); on the campaigns' whole spend 1.0x (90 % interval "
        f"{low} to {high}: not clearly above 1x)."
    )


def test_the_reading_says_when_the_comparison_rests_on_too_few_campaigns():
    eur = comparison(
        [
            {"campaign_id": 1, "kind": "joint", "reach": 900, "spend": 1000, "whole": 2000},
            {"campaign_id": 2, "kind": "joint", "reach": 900, "spend": 1000, "whole": 2000},
            {"campaign_id": 3, "kind": "solo", "reach": 100, "spend": 1000, "leads": 20},
        ]
    )
    reading = headline.reading(eur)
    assert "but their cost per lead was higher (€1.00 against €0.50)" in reading
    assert reading.endswith(
        "The comparison rests on too few campaigns (joint: 2, solo: 1): read it as an "
        "anecdote, not a measurement."
    )


@pytest.fixture
def three_and_three(app, world):
    """Three joint campaigns (A pays half) and three solo ones of A, results and spend each."""
    a_pm, b_pm = world.a.email(PM), world.b.email(PM)
    with app.app_context():
        for i in range(3):
            joint = ch.joint_campaign(world, a_share_bp=5_000, name=f"Joint {i}")
            _results(a_pm, joint.a_placement, 10 + i)
            _results(b_pm, joint.b_placement, 20 + i)
            ch.spend(a_pm, joint.id, joint.a_placement, 30_000 + 1_000 * i)
            ch.spend(b_pm, joint.id, joint.b_placement, 20_000 + 500 * i)
            solo = ch.solo_campaign(a_pm, f"Solo {i}")
            placement = ch.add_placement(a_pm, solo, world.a.id)
            ch.commit(a_pm, solo, 500_000)
            _results(a_pm, placement, 30 + i)
            ch.spend(a_pm, solo, placement, 40_000 + 2_000 * i)
        db.session.remove()
    return world


def _board(app, email: str) -> services.Dashboard:
    with app.app_context():
        return services.dashboard(actor(email), services.Period(date(2027, 3, 1), ch.END))


def test_the_page_shows_both_multipliers_with_their_interval(
    app, client, login_as, three_and_three
):
    email = three_and_three.a.email("analyst")
    eur = _board(app, email).comparisons[0]
    own, whole = eur.measured.on_your_spend, eur.measured.on_whole_spend
    assert own.interval is not None and whole.interval is not None
    login_as(email)
    html = client.get("/reports" + PERIOD).get_data(as_text=True)
    card = html[html.index('data-testid="multiplier-own-EUR"') :]
    assert f"{headline.half_up(own.value, 2)}x" in card[:1500]
    low, high = (f"{headline.half_up(end, 2)}x" for end in own.interval)
    assert re.search(rf'data-testid="interval-own-EUR">90 % interval: {low} to {high}', html)
    assert 'data-testid="multiplier-whole-EUR"' in html
    assert 'data-testid="interval-whole-EUR"' in html and 'data-testid="interval-roi-EUR"' in html
    assert "Campaigns: joint 3, solo 3." in html
    assert 'data-testid="tile-roi-EUR"' in html and 'data-testid="too-few-EUR"' not in html
    assert f"on the campaigns&#39; whole spend {headline.times(whole.value)}" in html


def test_the_page_warns_when_a_side_has_too_few_campaigns(client, login_as, seeded):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    html = client.get("/reports" + PERIOD).get_data(as_text=True)
    assert 'data-testid="too-few-EUR"' in html
    assert "rests on too few campaigns (joint: 2, solo: 1)" in html
    assert 'data-testid="interval-own-EUR"' not in html


def test_the_api_returns_both_multipliers_and_the_roi_comparison(app, three_and_three, api_as):  # noqa: F811
    email = three_and_three.a.email("analyst")
    eur = _board(app, email).comparisons[0]
    body = api_as(email).get("/api/v1/reports/dashboard" + PERIOD).get_json()
    (got,) = body["currencies"]
    own = got["multipliers"]["on_your_spend"]
    measured = eur.measured
    assert own["value"] == got["reach_multiplier"]
    assert Fraction(own["value"]) == round(measured.on_your_spend.value, 4)
    assert own["campaigns"] == {"joint": 3, "solo": 3} and own["warning"] is None
    low, high = measured.on_your_spend.interval
    assert {k: Fraction(v) for k, v in own["interval"].items()} == {
        "low": round(low, 4),
        "high": round(high, 4),
    }
    whole = got["multipliers"]["on_whole_spend"]
    assert Fraction(whole["value"]) == round(measured.on_whole_spend.value, 4)
    assert "whole spend" in whole["meaning"]
    roi = got["roi_comparison"]
    assert Fraction(roi["value"]) == Fraction(roi["joint"]) - Fraction(roi["solo"])
    assert roi["interval"] is not None
    assert got["reading"] == headline.reading(eur)


def test_the_api_warns_with_too_few_campaigns(seeded, api_as):  # noqa: F811
    body = api_as(seeded.a.email("analyst")).get("/api/v1/reports/dashboard" + PERIOD).get_json()
    eur = next(c for c in body["currencies"] if c["currency"] == "EUR")
    for figure in (*eur["multipliers"].values(), eur["roi_comparison"]):
        assert figure["interval"] is None
        assert figure["warning"] == "rests on too few campaigns (joint: 2, solo: 1)"
        assert figure["campaigns"] == {"joint": 2, "solo": 1}
