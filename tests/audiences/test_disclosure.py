"""Audience overlap that leaks nothing (issue 17, part 1): minimum audience count, rounding with
seeded noise, suppression that propagates, and the probes a partner would try.

The world for the probes: the joint A+B campaign; A (the victim) uploads its customers, people
0-999, as its placement's audience; B (the prober) uploads whatever it likes to its own
placement and reads every answer it can get: the API, the campaign report and A's placement.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from comarketing.accounts.models import Organization
from comarketing.audiences import disclosure, services, sketches
from comarketing.extensions import db
from tests import factories
from tests.campaign_helpers import PM, joint_campaign, spend
from tests.offer_helpers import actor

QUERY = "preset=custom&start=2027-01-01&end=2027-12-31"


def emails(numbers: range | list[int]) -> io.BytesIO:
    return io.BytesIO("".join(f"person{n}@example.com\n" for n in numbers).encode())


def audience(owner: int, numbers: range | list[int]) -> disclosure.Audience:
    data = sketches.serialize(sketches.build(sketches_digests(numbers)))
    return disclosure.Audience.load(owner, data)


def sketches_digests(numbers: range | list[int]) -> list[str]:
    import hashlib

    return [hashlib.sha256(f"p{n}".encode()).hexdigest() for n in numbers]


# ---------------------------------------------------------------------------------------------
# The rule, without a database


def test_strictest_party_wins_and_never_below_the_floor() -> None:
    rule = disclosure.Rule(1, {1: 100, 2: 500, 3: 50})
    assert rule.minimum([2]) == 500 and rule.minimum([3]) == 100 and rule.minimum([2, 3]) == 500
    assert disclosure.Rule(1, {1: 10}).minimum([]) == disclosure.FLOOR
    assert disclosure.Rule(1, {}).minimum([9]) == disclosure.DEFAULT


def test_rounding_keeps_two_significant_figures_within_one_step() -> None:
    assert [disclosure.step(n) for n in (55, 100, 999, 1000, 12_345)] == [10, 10, 10, 100, 1000]
    for n in (100, 123, 999, 1000, 1549, 98_765):
        for seed in (b"a", b"b", b"c"):
            shown = disclosure.noised(sketches.Estimate(n, n, n, True), 100, seed)
            size = disclosure.step(n)
            assert shown.value % size == 0 and abs(shown.value - n) < size and shown.rounded
            assert shown == disclosure.noised(sketches.Estimate(n, n, n, True), 100, seed)
            assert not shown.exact and shown.lower <= n <= shown.upper
    below = disclosure.noised(sketches.Estimate(99, 99, 99, True), 100, b"a")
    assert below.suppressed and below.below == 100 and str(below) == "fewer than 100"


def test_own_figures_stay_exact_and_small_audiences_are_not_compared() -> None:
    rule = disclosure.Rule(1, {1: 100, 2: 100})
    own = disclosure.reach(rule, "solo", [audience(1, range(60)), audience(1, range(40, 90))])
    assert own == sketches.Estimate(90, 90, 90, True)
    # A partner's audience of 1 is left out of the joint figure: the answer is the viewer's own.
    joint = disclosure.reach(rule, "joint", [audience(1, range(500)), audience(2, [7])])
    assert joint == sketches.Estimate(500, 500, 500, True)
    # The viewer's own audience under the minimum is not compared with the partner's either.
    split = disclosure.split(rule, "x", [audience(1, [7])], [audience(2, range(500))])
    assert split.both.suppressed and split.share_of_own is None


def test_suppression_propagates_to_every_figure_it_would_give_back() -> None:
    rule = disclosure.Rule(1, {1: 100, 2: 100})
    # Both: 50 people. Own only (450) and theirs only (550) would give it back from the
    # viewer's own 500: the whole split goes, and the shares with it.
    split = disclosure.split(rule, "x", [audience(1, range(500))], [audience(2, range(450, 1050))])
    assert split.own == sketches.Estimate(500, 500, 500, True)
    assert all(f.suppressed for f in (split.theirs, split.own_only, split.theirs_only, split.both))
    assert split.share_of_own is None and split.share_of_theirs is None
    # Incremental reach resting on an overlap of 50 with the viewer's own list: suppressed.
    joint = [audience(2, range(450, 1050))]
    assert disclosure.beyond(rule, "inc", joint, [audience(1, range(500))]).suppressed
    # Beyond the viewer's 300-999: 250 (1,000-1,249), with 550 in both: shown, rounded.
    wider = [audience(2, range(450, 1250))]
    shown = disclosure.beyond(rule, "inc", wider, [audience(1, range(300, 1000))])
    assert shown.rounded and abs(shown.value - 250) < 10


# ---------------------------------------------------------------------------------------------
# Through the application


@pytest.fixture
def probe(app: Flask, world: factories.World) -> Any:
    with app.app_context():
        ab = joint_campaign(world)
        day = {"occurred_on": date(2027, 3, 10)}
        spend(world.a.email(PM), ab.id, ab.a_placement, 30_000, **day)
        spend(world.b.email(PM), ab.id, ab.b_placement, 20_000, **day)
        services.upload_for_placement(
            actor(world.a.email(PM)),
            ab.a_placement,
            emails(range(1000)),
            "crm.txt",
            services.Options(),
        )
        db.session.remove()
    return ab


def answers(
    app: Flask, world: factories.World, ab: Any, client: FlaskClient, token: str, numbers: Any
) -> dict[str, Any]:
    """Everything B can read after uploading ``numbers`` to its own placement."""
    with app.app_context():
        services.upload_for_placement(
            actor(world.b.email(PM)),
            ab.b_placement,
            emails(numbers),
            "probe.txt",
            services.Options(),
        )
        db.session.remove()
    api = client.get(f"/api/v1/reports/dedup?{QUERY}", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200, api.get_json()
    report = client.get(f"/campaigns/{ab.id}/report").get_data(as_text=True)
    section = re.search(r'<section id="reach".*?</section>', report, re.S)
    placement = client.get(f"/campaigns/{ab.id}/placements/{ab.a_placement}").get_data(as_text=True)
    panel = re.search(r'data-testid="audience-current">.*?</p>', placement, re.S)
    dashboard = client.get(f"/reports?{QUERY}").get_data(as_text=True)
    dedup = re.search(r'<section id="dedup".*?</section>', dashboard, re.S)
    assert section and panel and dedup
    return {
        "api": api.get_json(),
        "dashboard": dedup.group(0),
        "report": section.group(0),
        "a_placement": panel.group(0),
    }


@pytest.fixture
def b_token(
    world: factories.World, login_as: Callable[..., Any], make_token: Callable[..., str]
) -> str:
    """B's analyst, signed in on the client, and a read token of theirs for the API."""
    login_as(world.b.email("analyst"))
    return make_token(world.b.email("analyst"))


def test_single_email_probe_answers_the_same(
    app: Flask, world: factories.World, probe: Any, client: FlaskClient, b_token: str
) -> None:
    token = b_token
    on_list = answers(app, world, probe, client, token, [5])
    off_list = answers(app, world, probe, client, token, [5000])
    assert on_list == off_list
    (overlap,) = on_list["api"]["overlaps"]
    assert overlap["both"] == {"suppressed": True, "below": 100}
    assert overlap["share_of_own"] is None and overlap["share_of_partner"] is None
    assert "≈ 1,000 (rounded)" in on_list["a_placement"]
    assert '<td class="text-end">fewer than 100</td>' in on_list["dashboard"]
    assert "not shown" in on_list["dashboard"]
    csv = client.get(f"/reports/dedup.csv?{QUERY}").get_data(as_text=True)
    assert "Audience overlap with Alpha" in csv and "shares are not shown either" in csv


def test_two_lists_differing_by_one_answer_the_same(
    app: Flask, world: factories.World, probe: Any, client: FlaskClient, b_token: str
) -> None:
    """B brings 400 people it knows A has (the minimum is met) and 400 others, plus one person:
    on A's list, or not."""
    token = b_token
    known = [*range(400), *range(10_000, 10_400)]
    on_list = answers(app, world, probe, client, token, [*known, 700])
    off_list = answers(app, world, probe, client, token, [*known, 20_000])
    assert on_list == off_list
    (overlap,) = on_list["api"]["overlaps"]
    assert overlap["both"]["rounded"] and abs(overlap["both"]["value"] - 400) < 10


def test_strictest_partys_minimum_wins(
    app: Flask,
    world: factories.World,
    probe: Any,
    client: FlaskClient,
    make_token: Callable[..., str],
) -> None:
    with app.app_context():
        services.upload_for_placement(
            actor(world.b.email(PM)),
            probe.b_placement,
            emails(range(500, 1500)),
            "b.txt",
            services.Options(),
        )
        db.session.remove()

    def overlap(email: str) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {make_token(email)}"}
        body = client.get(f"/api/v1/reports/dedup?{QUERY}", headers=headers).get_json()
        return {"minimum": body["minimum"], **body["overlaps"][0]}

    assert overlap(world.b.email("analyst"))["both"]["value"] == 500  # 500 people, step 10
    with app.app_context():
        db.session.get(Organization, world.a.id).audience_minimum = 600  # type: ignore[union-attr]
        db.session.commit()
    # A's stricter minimum holds for B's view and for A's own view of the same overlap.
    for email in (world.b.email("analyst"), world.a.email("analyst")):
        seen = overlap(email)
        assert seen["minimum"] == 600 and seen["both"] == {"suppressed": True, "below": 600}
        assert seen["share_of_own"] is None and seen["share_of_partner"] is None


def test_own_only_figures_stay_exact(
    world: factories.World, probe: Any, client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as(world.a.email("analyst"))
    own = client.get(f"/campaigns/{probe.id}/placements/{probe.a_placement}").get_data(as_text=True)
    assert "<strong>1,000</strong> distinct people (exact)" in own
    # Only A's audience in the campaign (B has none): the campaign's reach is A's own.
    report = client.get(f"/campaigns/{probe.id}/report").get_data(as_text=True)
    assert "1,000 (exact) distinct people" in report


def test_minimum_audience_count_setting(
    app: Flask, world: factories.World, client: FlaskClient, login_as: Callable[..., Any]
) -> None:
    login_as(world.a.email("admin"))
    page = client.get("/settings/organization").get_data(as_text=True)
    assert 'name="audience_minimum"' in page and 'value="100"' in page
    form = {"review_days": "2", "claim_days": "5", "audience_minimum": "49"}
    refused = client.post("/settings/organization", data=form)
    assert refused.status_code == 200
    assert "Choose between 50 and 1,000,000 people" in refused.get_data(as_text=True)
    saved = client.post("/settings/organization", data={**form, "audience_minimum": "250"})
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Organization, world.a.id).audience_minimum == 250  # type: ignore[union-attr]
