"""Issue 14 journey in a real browser: approvals are given by each company's own approvers.

Millstone's partner manager sends an offer to Goldcrest. It counts as Millstone's approval only
once Millstone's approver approves it, so it waits for both companies' approvers: Millstone's
approver finds it on her dashboard and approves; the campaign does not exist yet; Goldcrest's
approver approves; only then is the joint campaign created. The offer page and timeline say who
approved for each company, and in what role.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from comarketing.campaigns.models import Campaign
from comarketing.extensions import db
from comarketing.offers import proposals
from comarketing.policy import Role
from tests.browser.bakeries import FLOUR, SHORTENING, partnered_bakeries
from tests.browser.test_offer_journey import decide, sign_in
from tests.offer_helpers import actor, make_terms

pytestmark = pytest.mark.browser

TITLE = "Spring scone swap"
MANAGER, FLOUR_APPROVER = "ada@millstone.example", "mia@millstone.example"
SHORTENING_APPROVER = "gwen@goldcrest.example"


def seed(live_server) -> tuple[int, int, int]:
    """The two companies, their people, and Ada's draft; returns (draft id, flour, shortening)."""
    with live_server.app.app_context():
        flour, shortening = partnered_bakeries(
            [
                ("flour", MANAGER, "Ada Miller", Role.PARTNER_MANAGER),
                ("flour", FLOUR_APPROVER, "Mia Miller", Role.APPROVER),
                ("shortening", SHORTENING_APPROVER, "Gwen Gold", Role.APPROVER),
            ]
        )
        draft = proposals.create_draft(
            actor(MANAGER),
            partner_ids=[shortening.id],
            terms=make_terms([flour.id, shortening.id], title=TITLE),
        )
        return draft.id, flour.id, shortening.id


def campaigns_of(live_server, offer_id: int) -> int:
    with live_server.app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Campaign).where(Campaign.offer_id == offer_id)
        )
        db.session.remove()
        return int(count or 0)


def test_a_partner_managers_offer_needs_both_companies_approvers(live_server, browsing):
    offer_id, flour, shortening = seed(live_server)

    # 1. Ada, Millstone's partner manager, sends the offer: Millstone's approval is not hers.
    ada = browsing.new_page()
    sign_in(ada, MANAGER)
    ada.goto(f"/offers/{offer_id}")
    ada.get_by_role("button", name="Send to partners").click()
    expect(ada.get_by_test_id("offer-status")).to_have_text(
        f"waiting for {SHORTENING}'s and {FLOUR}'s approvers"
    )
    expect(ada.get_by_test_id(f"decision-{flour}")).to_contain_text("waiting for an approver")
    expect(ada.get_by_test_id(f"decision-{shortening}")).to_contain_text("waiting for an approver")
    expect(ada.get_by_test_id("decision-form")).to_have_count(0)
    expect(ada.get_by_test_id("discussion")).to_contain_text(
        f"awaiting the approval of {FLOUR}'s approvers"
    )

    # 2. Mia, Millstone's approver, finds it waiting for her company and approves it.
    mia = browsing.new_page()
    sign_in(mia, FLOUR_APPROVER)
    mia.get_by_test_id("waiting-offer_decision").get_by_role("link", name=TITLE).click()
    expect(mia.get_by_test_id("own-proposal-note")).to_contain_text("Ada Miller proposed")
    decide(mia, "Approved")
    expect(mia.get_by_test_id(f"decision-{flour}")).to_contain_text(
        "approved by Mia Miller (approver)"
    )
    expect(mia.get_by_test_id(f"decision-{shortening}")).to_contain_text("waiting for an approver")
    expect(mia.get_by_test_id("offer-status")).to_have_text(f"waiting for {SHORTENING}'s approver")
    expect(mia.get_by_role("link", name="Open the joint campaign")).to_have_count(0)
    assert campaigns_of(live_server, offer_id) == 0

    # 3. Gwen, Goldcrest's approver, approves: the last approval creates the campaign.
    gwen = browsing.new_page()
    sign_in(gwen, SHORTENING_APPROVER)
    gwen.get_by_test_id("waiting-offer_decision").get_by_role("link", name=TITLE).click()
    expect(gwen.get_by_test_id("own-proposal-note")).to_have_count(0)
    decide(gwen, "Approved", last=True)
    assert campaigns_of(live_server, offer_id) == 1

    # 4. Everyone sees who approved for each company, in what role, on the page and timeline.
    for page in (ada, mia, gwen):
        page.goto(f"/offers/{offer_id}")
        expect(page.get_by_test_id("offer-status")).to_have_text(
            re.compile(r"^approved — campaign #\d+$")
        )
        expect(page.get_by_test_id(f"decision-{flour}")).to_contain_text(
            "approved by Mia Miller (approver)"
        )
        expect(page.get_by_test_id(f"decision-{shortening}")).to_contain_text(
            "approved by Gwen Gold (approver)"
        )
        timeline = page.get_by_test_id("discussion")
        expect(timeline).to_contain_text(f"{FLOUR}: Approved by Mia Miller (approver)")
        expect(timeline).to_contain_text(f"{SHORTENING}: Approved by Gwen Gold (approver)")
    ada.get_by_role("link", name="Open the joint campaign").click()
    expect(ada).to_have_url(re.compile(r"/campaigns/\d+$"))
    expect(ada.get_by_test_id("campaign-name")).to_have_text(TITLE)
    browsing.assert_clean()
