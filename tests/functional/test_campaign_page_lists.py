"""The campaign page's long lists (issue 21): claims and ledger entries 50 at a time, newest
first, with links to older pages, so the page's cost does not grow with the campaign's
history; the statements it runs stay the same whatever the number of claims."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from comarketing.budgets.views import PER_PAGE
from comarketing.extensions import db
from tests.campaign_helpers import PM, commit, joint_campaign, spend
from tests.conftest import login
from tests.offer_helpers import actor

MORE = PER_PAGE + 12


def _claim_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="claim-(\d+)" data-testid="claim-row"', html)]


def _entry_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-testid="ledger-row" data-entry-id="(\d+)"', html)]


@pytest.fixture
def long_joint(app, world):
    """A joint campaign with MORE claims (and MORE + 2 ledger entries: the two commitments)."""
    with app.app_context():
        joint = joint_campaign(world)
        for n in range(MORE):
            spend(world.a.email(PM), joint.id, joint.a_placement, 100 + n)
        db.session.remove()
    return joint


def _page(app, world, path: str):
    client = app.test_client()
    login(client, world.a.email(PM))
    return client.get(path)


def test_claims_and_entries_come_fifty_at_a_time_newest_first(app, world, long_joint):
    first = _page(app, world, f"/campaigns/{long_joint.id}").get_data(as_text=True)
    claims, entries = _claim_ids(first), _entry_ids(first)
    assert len(claims) == PER_PAGE and claims == sorted(claims, reverse=True)
    assert len(entries) == PER_PAGE and entries == sorted(entries, reverse=True)
    assert 'data-testid="claims-pages"' in first and 'data-testid="ledger-pages"' in first
    dash = "\N{EN DASH}"
    assert f"1{dash}{PER_PAGE} of {MORE}," in first and f"1{dash}{PER_PAGE} of {MORE + 2}," in first

    second = _page(app, world, f"/campaigns/{long_joint.id}?claims_page=2&ledger_page=2").get_data(
        as_text=True
    )
    older_claims, older_entries = _claim_ids(second), _entry_ids(second)
    assert len(older_claims) == MORE - PER_PAGE and max(older_claims) < min(claims)
    assert len(older_entries) == MORE + 2 - PER_PAGE and max(older_entries) < min(entries)
    # The budget is the whole campaign's on every page.
    assert re.search(r'data-testid="spent">([^<]+)<', first).group(1) == re.search(
        r'data-testid="spent">([^<]+)<', second
    ).group(1)


@pytest.mark.parametrize("value", ["abc", "-1", "0", "999999", "1.5", ""])
def test_any_page_number_shows_a_page(app, world, long_joint, value):
    response = _page(app, world, f"/campaigns/{long_joint.id}?ledger_page={value}")
    assert response.status_code == 200
    assert _entry_ids(response.get_data(as_text=True))


def test_a_page_number_beyond_any_list_is_not_found(app, world, long_joint):
    response = _page(app, world, f"/campaigns/{long_joint.id}?claims_page=2000000")
    assert response.status_code == 404


def test_a_refused_reversal_shows_its_entry_wherever_it_is(app, world, long_joint):
    with app.app_context():
        newest = commit(world.a.email(PM), long_joint.id, 1_000).id  # newest, reversible
        db.session.remove()
    client = app.test_client()
    login(client, world.a.email(PM))
    # The first commitment (an old entry on the last page) refused without a reason.
    entries = _entry_ids(
        client.get(f"/campaigns/{long_joint.id}?ledger_page=2").get_data(as_text=True)
    )
    target = min(entries)
    assert target != newest
    response = client.post(
        f"/campaigns/{long_joint.id}/entries/{target}/reverse", data={"reason": ""}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert target in _entry_ids(html)
    assert 'data-field-error="reason"' in html


def test_the_page_runs_the_same_statements_whatever_the_history(app, world, query_counter):
    with app.app_context():
        small = joint_campaign(world, name="Short")
        large = joint_campaign(world, name="Long")
        for n in range(3):
            spend(world.a.email(PM), small.id, small.a_placement, 100 + n)
        for n in range(MORE * 2):
            spend(world.a.email(PM), large.id, large.a_placement, 100 + n)
        db.session.remove()
    client = app.test_client()
    login(client, world.a.email(PM))
    counts = {}
    for campaign in (small, large):
        client.get(f"/campaigns/{campaign.id}")
        with query_counter() as statements:
            response = client.get(f"/campaigns/{campaign.id}?ledger_page=2&claims_page=2")
        assert response.status_code == 200
        counts[campaign.id] = len(statements)
    assert counts[small.id] == counts[large.id], counts


def _claim_id(entry_id: int) -> int:
    from comarketing.budgets.models import ClaimVersion

    return db.session.scalar(
        sa.select(ClaimVersion.claim_id).where(ClaimVersion.ledger_entry_id == entry_id)
    )


def test_the_claims_states_summed_in_sql_match_the_claim_rule(app, world):
    """Pending, confirmed (by B, and by the window passing), disputed, withdrawn, revised after
    a dispute and revised after a confirmation, by both parties: the one aggregate the page
    uses gives the sums claim by claim (``claim_workflow.claim_state``) gives."""
    from comarketing.budgets import balances, claim_responses, claim_states, claims

    a_pm, b_pm = world.a.email(PM), world.b.email(PM)
    with app.app_context():
        joint = joint_campaign(world)
        made = {
            name: _claim_id(spend(pm, joint.id, placement, amount).id)
            for name, pm, placement, amount in (
                ("pending", a_pm, joint.a_placement, 101),
                ("confirmed", a_pm, joint.a_placement, 202),
                ("disputed", a_pm, joint.a_placement, 303),
                ("withdrawn", a_pm, joint.a_placement, 404),
                ("revised", a_pm, joint.a_placement, 505),
                ("revised_confirmed", a_pm, joint.a_placement, 606),
                ("b_confirmed", b_pm, joint.b_placement, 707),
                ("b_disputed", b_pm, joint.b_placement, 808),
            )
        }
        for name in ("confirmed", "revised_confirmed"):
            claim_responses.confirm_claim(actor(b_pm), joint.id, made[name])
        claim_responses.confirm_claim(actor(a_pm), joint.id, made["b_confirmed"])
        for name, who in (("disputed", b_pm), ("revised", b_pm), ("b_disputed", a_pm)):
            claim_responses.dispute_claim(actor(who), joint.id, made[name], reason="Why?")
        claims.withdraw_claim(actor(a_pm), joint.id, made["withdrawn"], reason="Twice")
        claims.revise_claim(actor(a_pm), joint.id, made["revised"], amount_minor=550)
        claims.revise_claim(actor(a_pm), joint.id, made["revised_confirmed"], amount_minor=660)
        statuses = claim_states.claim_statuses(joint.id)
        assert {s.state.value for s in statuses} == {
            "pending",
            "confirmed",
            "disputed",
            "withdrawn",
        }
        assert claim_states.claim_sums_in_sql(joint.id) == claim_states.claim_sums(statuses)
        assert balances.balances(
            joint.id, sums=claim_states.claim_sums_in_sql(joint.id)
        ) == balances.balances(joint.id)
        db.session.remove()


def test_a_solo_campaigns_claims_are_confirmed_in_sql_too(app, world):
    from comarketing.budgets import claim_states
    from tests.campaign_helpers import add_placement, solo_campaign

    pm = world.a.email(PM)
    with app.app_context():
        campaign = solo_campaign(pm)
        commit(pm, campaign, 100_000)
        placement = add_placement(pm, campaign, world.a.id)
        spend(pm, campaign, placement, 1_234)
        sums = claim_states.claim_sums_in_sql(campaign)
        assert sums == claim_states.claim_sums(claim_states.claim_statuses(campaign))
        assert sums[world.a.id].confirmed_minor == 1_234
        db.session.remove()
