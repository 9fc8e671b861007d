"""The calendar as JSON (issue 20): the same items as the calendar page for the same month or
week and filters (the page's own filter code), every item listed, clashes named on both
items; never another company's records; a filter the page would drop (a campaign or partner
not yours, both month and week) refused with 422 naming the field."""

from __future__ import annotations

import re
from datetime import date

import pytest

from comarketing.campaigns import milestones
from comarketing.extensions import db
from tests.api.conftest import error_of
from tests.campaign_helpers import ANALYST, PM, add_placement, joint_campaign, solo_campaign
from tests.conftest import login
from tests.offer_helpers import actor


@pytest.fixture
def plan(app, world):
    """A+B's joint campaign (A's email, B's social, March-April 2027), B's blackout on 10 March,
    A's solo campaign whose email placement clashes with the joint one on 15-20 March, and
    C's solo campaign over the same days (the canary)."""
    with app.app_context():
        joint = joint_campaign(world)
        embargo = milestones.add_milestone(
            actor(world.b.email(PM)),
            joint.id,
            kind="blackout",
            title="Press embargo",
            owner_organization_id=world.b.id,
            due_on=date(2027, 3, 10),
        ).id
        pm_a = world.a.email(PM)
        solo = solo_campaign(pm_a, "Solo mail", start=date(2027, 3, 1), end=date(2027, 3, 31))
        mail = add_placement(
            pm_a,
            solo,
            world.a.id,
            name="Solo blast",
            start=date(2027, 3, 15),
            end=date(2027, 3, 20),
        )
        pm_c = world.c.email(PM)
        gamma = solo_campaign(pm_c, f"Gamma {world.canary}", start=date(2027, 3, 1))
        add_placement(pm_c, gamma, world.c.id, name=f"Gamma mail {world.canary}")
        db.session.remove()
    return {"joint": joint, "embargo": embargo, "solo": solo, "mail": mail, "gamma": gamma}


def _page(app, email: str, query: str) -> tuple[set[str], set[str]]:
    """The items the page draws, and the fields it flags (a filter it dropped)."""
    client = app.test_client()
    login(client, email)
    page = client.get(f"/calendar?{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return set(re.findall(r'data-item="([\w-]+)"', html)), set(
        re.findall(r'data-field-error="(\w+)"', html)
    )


def _api_items(body: dict) -> set[str]:
    return {f"{item['kind']}-{item['id']}" for item in body["items"]}


def test_a_month_lists_every_item_with_its_clashes(app, world, api_as, plan):
    joint = plan["joint"]
    response = api_as(world.a.email(ANALYST)).get("/api/v1/calendar?month=2027-03")
    assert response.status_code == 200, response.json
    body = response.json
    assert (body["mode"], body["anchor"], body["first"], body["last"]) == (
        "month",
        "2027-03-01",
        "2027-03-01",  # a Monday
        "2027-04-04",
    )
    assert (body["previous"], body["next"]) == ("2027-02-01", "2027-04-01")
    assert _api_items(body) == {
        f"campaign-{joint.id}",
        f"campaign-{plan['solo']}",
        f"placement-{joint.a_placement}",
        f"placement-{joint.b_placement}",
        f"placement-{plan['mail']}",
        f"milestone-{plan['embargo']}",
    }
    assert body["counts"] == {"campaign": 2, "placement": 3, "milestone": 1}
    assert world.canary not in response.get_data(as_text=True)

    by_key = {f"{i['kind']}-{i['id']}": i for i in body["items"]}
    a_mail = by_key[f"placement-{joint.a_placement}"]
    assert (a_mail["channel"], a_mail["owner"], a_mail["mine"]) == ("email", world.a.name, True)
    embargo = by_key[f"milestone-{plan['embargo']}"]
    assert (embargo["milestone_kind"], embargo["done"], embargo["mine"]) == (
        "blackout",
        False,
        False,
    )
    # A's email placement clashes with the solo blast (same channel) and the blackout.
    clashes = [body["clashes"][n] for n in a_mail["clashes"]]
    assert sorted(c["kind"] for c in clashes) == ["blocked", "channel"]
    blocked = next(c for c in clashes if c["kind"] == "blocked")
    assert (blocked["second"]["kind"], blocked["second"]["id"]) == ("milestone", plan["embargo"])
    assert (blocked["start"], blocked["end"]) == ("2027-03-10", "2027-03-10")
    assert embargo["clashes"] == [body["clashes"].index(blocked)]
    assert by_key[f"placement-{joint.b_placement}"]["clashes"] == []


@pytest.mark.parametrize(
    "query",
    [
        "month=2027-03",
        "week=2027-03-10",
        "week=2027-03-17&channel=email",
        "week=2027-03-17&channel=social",
        "week=2027-03-10&owner=mine",
        "week=2027-03-10&owner=partners",
        "month=2027-03&owner=partners",
        "week=2027-03-17&campaign={solo}",
        "week=2027-03-10&partner={b}",
        "week=2027-03-10&partner={b}&owner=mine&channel=email",
        "month=2027-05",
    ],
)
def test_the_json_lists_what_the_page_draws(app, world, api_as, plan, query):
    query = query.format(solo=plan["solo"], b=world.b.id)
    for email in (world.a.email(ANALYST), world.b.email(PM)):
        response = api_as(email).get(f"/api/v1/calendar?{query}")
        drawn, flagged = _page(app, email, query)
        if flagged:  # the page dropped a filter (A's solo campaign is not B's): the API refuses
            assert response.status_code == 422, (email, query)
            assert {e["field"] for e in error_of(response)["errors"]} == flagged
            continue
        assert response.status_code == 200, (query, response.json)
        # Week views draw every item (no cap); March has at most a few bands per week.
        assert _api_items(response.json) == drawn, (email, query)


def test_filters_the_page_would_drop_are_refused_naming_the_field(app, world, api_as, plan):
    reader = api_as(world.a.email(ANALYST))
    cases = [
        (f"campaign={plan['gamma']}", "campaign"),  # C's: like one that does not exist
        ("campaign=999999", "campaign"),
        (f"partner={world.c.id}", "partner"),  # not A's partner
        ("channel=fax", "channel"),
        ("owner=everyone", "owner"),
        ("month=2027-13", "month"),
        ("month=March", "month"),
        ("month=1999-12", "month"),
        ("week=2027-02-30", "week"),
        ("month=2027-03&week=2027-03-10", "week"),
    ]
    for query, field in cases:
        response = reader.get(f"/api/v1/calendar?{query}")
        assert response.status_code == 422, (query, response.json)
        assert error_of(response)["field"] == field, (query, response.json)
    # C's campaign and a missing one get the very same answer.
    gamma = reader.get(f"/api/v1/calendar?campaign={plan['gamma']}").json
    missing = reader.get("/api/v1/calendar?campaign=999999").json
    assert gamma == missing


def test_without_a_period_it_is_this_month(app, world, api_as, plan):
    body = api_as(world.a.email(ANALYST)).get("/api/v1/calendar").json
    assert body["mode"] == "month"
    assert body["anchor"] == date.fromisoformat(body["today"]).replace(day=1).isoformat()


def test_the_json_runs_a_fixed_number_of_queries(app, world, api_as, plan, query_counter):
    reader = api_as(world.a.email(ANALYST))
    reader.get("/api/v1/me")  # the token's first use records it: not the list's work

    def count() -> int:
        with query_counter() as statements:
            assert reader.get("/api/v1/calendar?month=2027-03").status_code == 200
        return len(statements)

    few = count()
    with app.app_context():
        pm = world.a.email(PM)
        for n in range(6):
            campaign = solo_campaign(pm, f"More {n}", start=date(2027, 3, 1), end=date(2027, 3, 31))
            add_placement(pm, campaign, world.a.id, name=f"Blast {n}", start=date(2027, 3, 16))
            milestones.add_milestone(
                actor(pm), campaign, kind="blackout", title="", owner_organization_id=world.a.id,
                due_on=date(2027, 3, 18),
            )  # fmt: skip
        db.session.remove()
    # Each count is of the calendar computed: the first request at the data's version (a
    # kept calendar runs fewer, tests/functional/test_calendar_pages.py).
    assert count() == few
    body = reader.get("/api/v1/calendar?month=2027-03").json
    assert body["counts"] == {"campaign": 8, "placement": 9, "milestone": 7}
