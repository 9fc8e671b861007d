"""Issue 18 in a real browser: on a 390 px phone the offer page is long (shares, placements,
revisions, a discussion), and the decision sits far below. Its Approve button stays in reach in
a bar at the bottom of the screen, without scrolling; on a laptop the bar is not shown and the
decision form sits beside the terms.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from comarketing.extensions import db
from comarketing.offers import discussion, proposals, reviews
from comarketing.policy import Role
from tests.browser.bakeries import FLOUR, SHORTENING, partnered_bakeries
from tests.browser.test_offer_journey import sign_in
from tests.offer_helpers import actor, make_terms, placement

pytestmark = pytest.mark.browser

MANAGER, FLOUR_APPROVER = "ada@millstone.example", "mia@millstone.example"
SHORTENING_MANAGER, SHORTENING_APPROVER = "sam@goldcrest.example", "gwen@goldcrest.example"
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = "/tmp"


def seed(live_server) -> int:
    """A sent offer with a history: a change request, a second revision, a discussion."""
    with live_server.app.app_context():
        flour, shortening = partnered_bakeries(
            [
                ("flour", MANAGER, "Ada Miller", Role.PARTNER_MANAGER),
                ("flour", FLOUR_APPROVER, "Mia Miller", Role.APPROVER),
                ("shortening", SHORTENING_MANAGER, "Sam Gold", Role.PARTNER_MANAGER),
                ("shortening", SHORTENING_APPROVER, "Gwen Gold", Role.APPROVER),
            ]
        )
        parties = [flour.id, shortening.id]
        spots = [
            placement(flour.id, 10_000, channel="packaging", name="Recipe on the flour bag"),
            placement(shortening.id, 20_000, channel="social", name="Spring reel"),
            placement(flour.id, 15_000, name="Millstone newsletter"),
        ]
        offer_id = proposals.create_draft(
            actor(MANAGER),
            partner_ids=[shortening.id],
            terms=make_terms(parties, title="Spring scone swap", placements=spots),
        ).id
        proposals.send(actor(MANAGER), offer_id)
        reviews.decide(
            actor(SHORTENING_APPROVER),
            offer_id,
            revision_number=1,
            decision="changes_requested",
            comment="Half the reel's cost on the newsletter, please.",
        )
        for number in range(4):
            discussion.add_comment(actor(SHORTENING_MANAGER), offer_id, f"Note {number}: " * 20)
            discussion.add_comment(actor(MANAGER), offer_id, f"Answer {number}: " * 20)
        spots[1].planned_cost_minor = 10_000
        proposals.revise(
            actor(MANAGER),
            offer_id,
            terms=make_terms(parties, title="Spring scone swap", placements=spots),
        )
        db.session.remove()
        return offer_id


def test_on_a_phone_the_approve_button_is_in_reach_without_scrolling(live_server, browsing):
    offer_id = seed(live_server)
    gwen = browsing.new_page()
    gwen.set_viewport_size(PHONE)
    sign_in(gwen, SHORTENING_APPROVER)

    gwen.goto(f"/offers/{offer_id}")

    expect(gwen.get_by_test_id("offer-status")).to_have_text(
        f"waiting for {SHORTENING}'s and {FLOUR}'s approvers"
    )
    approve = gwen.get_by_test_id("action-bar").get_by_role("button", name="Approve")
    expect(approve).to_be_in_viewport()
    # The full form is far below: the bar is what keeps the decision in reach.
    expect(gwen.get_by_role("button", name="Record decision")).not_to_be_in_viewport()
    assert gwen.evaluate("window.scrollY") == 0
    assert gwen.evaluate("document.documentElement.scrollHeight") > 2 * PHONE["height"]
    gwen.screenshot(path=f"{SCREENSHOTS}/offerpage_mobile_action_bar.png")

    # Still in reach halfway down the page.
    gwen.get_by_test_id("revisions").scroll_into_view_if_needed()
    expect(approve).to_be_in_viewport()

    gwen.once("dialog", lambda dialog: dialog.accept())
    approve.click()
    expect(gwen.get_by_role("alert")).to_contain_text("Your decision was recorded")
    expect(gwen.get_by_test_id("offer-status")).to_have_text(f"waiting for {FLOUR}'s approver")
    expect(gwen.get_by_test_id("action-bar")).to_have_count(0)  # decided: nothing to do
    browsing.assert_clean()


def test_on_a_laptop_the_decision_form_sits_beside_the_terms_and_no_bar_shows(
    live_server, browsing
):
    offer_id = seed(live_server)
    gwen = browsing.new_page()
    gwen.set_viewport_size({"width": 1280, "height": 800})
    sign_in(gwen, SHORTENING_APPROVER)

    gwen.goto(f"/offers/{offer_id}")

    expect(gwen.get_by_test_id("action-bar")).to_be_hidden()
    expect(gwen.get_by_role("button", name="Record decision")).to_be_visible()
    browsing.assert_clean()
