"""The calendar through the test client: month and week pages, filters in the query string
(bad ones answered next to their field, never with a 5xx), links to each item, channel colours
as classes (no inline style), clashes flagged on both items and on the placement page, a
fixed number of queries whatever the data size, and the calendar kept under the company's data
version (issue 21): the page drawn from a kept calendar and grid is the page an app without
any cache draws, after every write it shows."""

from __future__ import annotations

import html as html_lib
import re
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from comarketing.accounts.models import Organization
from comarketing.campaigns import milestones
from comarketing.campaigns.models import Placement
from comarketing.extensions import db
from tests.campaign_helpers import ANALYST, PM, add_placement, joint_campaign, solo_campaign
from tests.conftest import count_queries, login, write_in
from tests.offer_helpers import actor
from tests.reports.test_report_cache import _without_nonces


def signed_in(app, email: str):
    client = app.test_client()
    login(client, email)
    return client


def text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def items(page: str) -> dict[str, str]:
    """data-item -> the item's opening tag, for every item drawn."""
    return {
        m.group(1): m.group(0) for m in re.finditer(r'<a [^>]*data-item="([\w-]+)"[^>]*>', page)
    }


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'data-field-error="{name}">(.*?)</div>', page, re.DOTALL)
    return text(found.group(1)) if found else None


@pytest.fixture
def plan(app, world):
    """A+B's joint campaign (A's email, B's social, March-April 2027), B's blackout on 10 March,
    and A's solo campaign whose email placement clashes with the joint one on 15-20 March."""
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
    return {"joint": joint, "embargo": embargo, "solo": solo, "mail": mail}


def test_the_month_draws_every_kind_of_item_linked_and_coloured(app, world, plan):
    joint = plan["joint"]
    page = signed_in(app, world.a.email(ANALYST)).get("/calendar?month=2027-03")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    drawn = items(html)
    a_mail, b_social = f"placement-{joint.a_placement}", f"placement-{joint.b_placement}"
    assert {f"campaign-{joint.id}", f"campaign-{plan['solo']}", a_mail, b_social} <= set(drawn)
    assert f'href="/campaigns/{joint.id}/placements/{joint.a_placement}"' in drawn[a_mail]
    assert (
        f'href="/campaigns/{joint.id}#milestone-{plan["embargo"]}"'
        in drawn[f"milestone-{plan['embargo']}"]
    )
    assert f'href="/campaigns/{joint.id}"' in drawn[f"campaign-{joint.id}"]
    assert "cal-ch-email" in drawn[a_mail] and "cal-ch-social" in drawn[b_social]
    assert "cal-partner" in drawn[b_social] and "cal-partner" not in drawn[a_mail]
    # The joint campaign runs all month: one band per week row, spanning the days.
    assert html.count(f'data-item="campaign-{joint.id}"') == 5
    assert re.search(rf'colspan="7"><a [^>]*data-item="campaign-{joint.id}"', html)
    # Strict CSP: colours come from classes, never a style attribute.
    assert "style=" not in html
    # A's email placement clashes with the solo one and with B's blackout; B's social does not.
    for key in (a_mail, f"placement-{plan['mail']}", f"milestone-{plan['embargo']}"):
        assert 'data-clash="true"' in drawn[key], key
    assert 'data-clash="true"' not in drawn[b_social]
    clash_list = re.search(r'data-testid="clashes">(.*?)</div>', html, re.DOTALL)
    assert clash_list is not None
    assert text(clash_list.group(1)).endswith(
        "Alpha newsletter (Spring baking week) runs on the blackout Press embargo , 10 Mar 2027 "
        "Email: Alpha newsletter (Spring baking week) and Solo blast (Solo mail), "
        "15 Mar 2027 \u2013 20 Mar 2027"
    )
    days = re.findall(r'data-clash="true" data-day="([\d-]+)"', html)
    assert days == ["2027-03-10"] + [f"2027-03-{d}" for d in range(15, 21)]


def test_the_week_view_and_its_navigation_keep_the_filters(app, world, plan):
    client = signed_in(app, world.a.email(PM))
    page = client.get("/calendar?week=2027-03-17&channel=email")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Week of 15 Mar 2027" in text(html)
    assert html.count("data-day=") == 7
    assert 'href="/calendar?week=2027-03-08&amp;channel=email"' in html  # previous week
    assert 'href="/calendar?week=2027-03-22&amp;channel=email"' in html  # next week
    drawn = items(html)
    assert f"placement-{plan['mail']}" in drawn
    assert f"placement-{plan['joint'].b_placement}" not in drawn  # social, filtered out
    # The week view says what each placement is: channel, owner, campaign.
    assert f"Email · {world.a.name} · Solo mail" in text(html)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("campaign=abc", "campaign"),
        ("campaign=99999999", "campaign"),
        ("partner=-3", "partner"),
        ("channel=<script>", "channel"),
        ("owner=all", "owner"),
        ("month=2027-13", "month"),
        ("month=9999-12", "month"),
        ("week=yesterday", "week"),
        ("week=2101-01-05", "week"),
    ],
)
def test_a_bad_parameter_gets_a_message_next_to_its_field_never_an_error(
    app, world, plan, query, field
):
    page = signed_in(app, world.a.email(PM)).get(f"/calendar?{query}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert field_error(html, field), html[:2000]
    assert "<script>" not in html.split("</head>", 1)[1].replace("<script src=", "")


def test_filters_by_partner_and_owner_through_the_page(app, world, plan):
    client = signed_in(app, world.a.email(PM))
    partners = items(
        client.get(f"/calendar?month=2027-03&owner=partners&partner={world.b.id}").get_data(
            as_text=True
        )
    )
    assert set(partners) == {
        f"campaign-{plan['joint'].id}",
        f"placement-{plan['joint'].b_placement}",
        f"milestone-{plan['embargo']}",
    }
    # B's calendar: the joint campaign, never A's solo one, and A's clash of channels unseen.
    b_html = signed_in(app, world.b.email(PM)).get("/calendar?month=2027-03").get_data(as_text=True)
    assert "Solo mail" not in b_html and "Solo blast" not in b_html
    # B does see the clash of A's placement with B's own blackout.
    assert 'data-clash-kind="blocked"' in b_html and 'data-clash-kind="channel"' not in b_html


def test_the_placement_page_flags_its_clashes(app, world, plan):
    joint = plan["joint"]
    client = signed_in(app, world.a.email(PM))
    html = client.get(f"/campaigns/{joint.id}/placements/{joint.a_placement}").get_data(
        as_text=True
    )
    found = re.search(r'data-testid="placement-clashes">(.*?)</div>', html, re.DOTALL)
    assert found is not None
    words = text(found.group(1))
    assert "runs on the blackout Press embargo of another party, 10 Mar 2027" in words
    assert "Your email placement Solo blast (Solo mail) runs at the same time" in words
    other = client.get(f"/campaigns/{plan['solo']}/placements/{plan['mail']}").get_data(
        as_text=True
    )
    assert "Alpha newsletter (Spring baking week)" in text(other)
    # B's social placement clashes with nothing.
    b_page = client.get(f"/campaigns/{joint.id}/placements/{joint.b_placement}")
    assert 'data-testid="placement-clashes"' not in b_page.get_data(as_text=True)


def test_the_calendar_runs_the_same_number_of_queries_for_few_or_many_items(
    app, world, query_counter
):
    with app.app_context():
        pm_a = world.a.email(PM)
        for month, n in ((3, 2), (5, 20)):
            for i in range(n):
                campaign = solo_campaign(
                    pm_a, f"C{month}-{i}", start=date(2027, month, 1), end=date(2027, month, 28)
                )
                add_placement(pm_a, campaign, world.a.id, name=f"P{i}")
                milestones.add_milestone(
                    actor(pm_a),
                    campaign,
                    kind="blackout",
                    title=f"M{i}",
                    owner_organization_id=world.a.id,
                    due_on=date(2027, month, 3),
                )
    client = signed_in(app, world.a.email(PM))
    client.get("/calendar?month=2027-03")  # warm up what is loaded once per process
    counts = {}
    for query in ("month=2027-03", "month=2027-05", "week=2027-03-03", "week=2027-05-03"):
        with query_counter() as statements:
            response = client.get(f"/calendar?{query}&channel=email&owner=mine")
        assert response.status_code == 200
        counts[query] = len(statements)
    assert len(set(counts.values())) == 1, counts
    assert counts["month=2027-03"] <= 15, counts


# ---------------------------------------------------------------------------------------------
# Kept under the data version

PAGES = ("/calendar?month=2027-03", "/calendar?week=2027-03-08&owner=mine")


def _moved(placement_id: int) -> None:
    placement = db.session.get(Placement, placement_id)
    placement.start_date, placement.end_date = date(2027, 3, 8), date(2027, 3, 12)


def _renamed(organization_id: int) -> None:
    db.session.get(Organization, organization_id).name = "Beta Renamed Ltd"


@pytest.mark.parametrize("where", ["memory", "redis"])
def test_a_kept_calendar_is_the_fresh_one_after_every_write(app, make_app, world, plan, where):
    config: dict[str, Any] = {
        "REPORT_CACHE": where,
        "RATELIMIT_KEY_PREFIX": f"test-kept-{uuid.uuid4().hex}",
    }
    if where == "redis":
        config["REDIS_URL"] = "redis://127.0.0.1:6379/0"
    kept = make_app(**config)
    reader = world.a.email(PM)
    client, fresh = signed_in(kept, reader), signed_in(make_app(REPORT_CACHE="off"), reader)

    def page(path: str) -> tuple[str, int]:
        with count_queries(kept) as statements:
            response = client.get(path)
        assert response.status_code == 200
        return _without_nonces(response.get_data(as_text=True)), len(statements)

    for path in PAGES:
        first, computed = page(path)
        again, from_store = page(path)
        assert again == first
        assert from_store < computed, (path, from_store, computed)

    b_pm = world.b.email(PM)
    joint = plan["joint"]
    writes: list[tuple[str, Callable[[], Any]]] = [
        (
            "a partner's new blackout",
            lambda: milestones.add_milestone(
                actor(b_pm),
                joint.id,
                kind="blackout",
                title="Recall day",
                owner_organization_id=world.b.id,
                due_on=date(2027, 3, 11),
            ),
        ),
        (
            "the embargo lifted",
            lambda: milestones.complete_milestone(actor(b_pm), joint.id, plan["embargo"]),
        ),
        ("a placement moved", lambda: _moved(plan["mail"])),
        ("the partner renamed", lambda: _renamed(world.b.id)),
    ]
    month = page(PAGES[0])[0]
    for what, write in writes:
        write_in(app, write)
        for path in PAGES:
            now, _ = page(path)
            assert now == _without_nonces(fresh.get(path).get_data(as_text=True)), (what, path)
        changed = page(PAGES[0])[0]
        assert changed != month, what  # every write shows in the month
        month = changed
    assert "Recall day" in month and "Beta Renamed Ltd" in month
