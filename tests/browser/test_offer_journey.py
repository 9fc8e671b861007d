"""Issue 3 journey in a real browser: a three-party joint offer from proposal to campaign.

A flour company proposes an offer to two partners; the shortening company requests changes;
the proposer sends revision 2; the offer page shows what changed; both partners and the
proposer's own approver (a partner manager's proposal needs one) approve; the joint campaign
exists for all three companies. Each person has their own browser context,
and the journey ends with ``browsing.assert_clean()`` for all of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from comarketing.business_days import WorkCalendar
from comarketing.dates_format import format_deadline
from comarketing.extensions import db
from comarketing.offers.models import OfferRevision
from comarketing.policy import Role
from tests import factories
from tests.browser.nav import go_to

pytestmark = pytest.mark.browser

# Alphabetical order is the order the offer and campaign pages list parties in.
CHOCOLATE = "Cocoa Chip Co."
SHORTENING = "Goldcrest Shortening"
FLOUR = "Millstone Flour Co."

TITLE = "Holiday pie-crust bundle"
CHANGES_WANTED = "30% is more than our plan allows. Raise the total to 36,000 and take us to 25%?"
CHANGE_NOTE = "Total raised to 36,000; Goldcrest carries 25%, Millstone 45%."
# For a person to look at after a run; nothing reads them back.
SCREENSHOTS = "/tmp"


@dataclass(frozen=True)
class Cast:
    flour_manager: str = "ada@millstone.example"
    flour_approver: str = "mia@millstone.example"
    shortening_approver: str = "gwen@goldcrest.example"
    chocolate_approver: str = "cole@cocoa.example"


def seed_three_companies(live_server) -> Cast:
    """Flour is partnered with both others; shortening and chocolate are not partners."""
    cast = Cast()
    with live_server.app.app_context():
        flour = factories.OrganizationFactory(name=FLOUR, slug="millstone")
        shortening = factories.OrganizationFactory(name=SHORTENING, slug="goldcrest")
        chocolate = factories.OrganizationFactory(name=CHOCOLATE, slug="cocoa")
        for org, email, name, role in (
            (flour, cast.flour_manager, "Ada Miller", Role.PARTNER_MANAGER),
            (flour, cast.flour_approver, "Mia Miller", Role.APPROVER),
            (shortening, cast.shortening_approver, "Gwen Gold", Role.APPROVER),
            (chocolate, cast.chocolate_approver, "Cole Cocoa", Role.APPROVER),
        ):
            factories.UserFactory(organization=org, email=email, name=name, role=role.value)
        for org, names in (
            (flour, ["Pastry Flour", "Rye Flour"]),
            (shortening, ["Golden Shortening"]),
            (chocolate, ["Dark Chocolate Chips", "Milk Chocolate Chips"]),
        ):
            for name in names:
                factories.ProductFactory(organization_id=org.id, name=name)
        for partner in (shortening, chocolate):
            factories.PartnershipFactory(
                inviter_organization_id=flour.id, invitee_organization_id=partner.id
            )
        db.session.commit()
    return cast


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def offer_id_of(page: Page) -> int:
    match = re.search(r"/offers/(\d+)$", page.url)
    assert match, f"not on an offer page: {page.url}"
    return int(match.group(1))


def stored_revision(live_server, offer_id: int, number: int) -> OfferRevision:
    with live_server.app.app_context():
        revision = db.session.scalar(
            sa.select(OfferRevision).where(
                OfferRevision.offer_id == offer_id, OfferRevision.number == number
            )
        )
        assert revision is not None
        db.session.expunge(revision)
        return revision


def shown_as(moment: datetime) -> str:
    """How the pages print a due moment to readers in UTC (the ``deadline`` template filter)."""
    return format_deadline(moment)


def fill_party(form: Locator, party: str, *, budget: str, revenue: str, products: list[str]):
    fieldset = form.get_by_test_id(f"party-{party}")
    fieldset.get_by_label("Budget share (%)").fill(budget)
    fieldset.get_by_label("Revenue share (%)").fill(revenue)
    for product in products:
        fieldset.get_by_label(product).check()


def fill_placement(row: Locator, *, channel: str, owner: str, name: str, cost: str) -> None:
    row.get_by_label("Channel").select_option(label=channel)
    row.get_by_label("Owner").select_option(label=owner)
    row.get_by_label("Placement name").fill(name)
    row.get_by_label("Planned cost").fill(cost)


def decide(page: Page, decision: str, comment: str = "", *, last: bool = False) -> None:
    form = page.get_by_test_id("decision-form")
    form.get_by_label(decision, exact=True).check()
    if comment:
        form.get_by_label("Comment", exact=True).fill(comment)
    form.get_by_role("button", name="Record decision").click()
    # The last missing approval says what it caused, not just that it was recorded.
    expect(page.get_by_role("alert")).to_contain_text(
        "Every party has approved: the joint campaign is ready"
        if last
        else "Your decision was recorded"
    )
    # Once decided, the company is not asked again for this revision.
    expect(page.get_by_test_id("decision-form")).to_have_count(0)


def expect_row_cells(table: Locator, cells: list[list[str]]) -> None:
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(cells))
    for index, expected in enumerate(cells):
        expect(rows.nth(index).locator("td")).to_have_text(expected)


def test_three_companies_negotiate_a_revision_and_get_one_joint_campaign(live_server, browsing):
    cast = seed_three_companies(live_server)

    # The shortening approver is signed in before anything is sent: a draft stays private.
    gwen = browsing.new_page()
    sign_in(gwen, cast.shortening_approver)
    expect(gwen.get_by_test_id("attention")).to_contain_text("Nothing waits for you")

    # 1. Millstone's partner manager proposes an offer to both partners.
    ada = browsing.new_page()
    sign_in(ada, cast.flour_manager)
    go_to(ada, "Offers")
    ada.get_by_role("link", name="Propose an offer").click()
    ada.get_by_label(SHORTENING).check()
    ada.get_by_label(CHOCOLATE).check()
    ada.get_by_role("button", name="Next: terms").click()

    form = ada.get_by_test_id("terms-form")
    form.get_by_label("Title").fill(TITLE)
    form.get_by_label("Value proposition").fill("Everything for a holiday pie in one bundle.")
    form.get_by_label("Target audience").fill("Home bakers planning holiday desserts")
    form.get_by_label("Start date").fill("2031-11-03")
    form.get_by_label("End date").fill("2031-12-31")
    form.get_by_label("Currency").select_option("EUR")
    form.get_by_label("Total budget").fill("30,000")
    form.get_by_label("Target reach (people)").fill("250000")
    form.get_by_label("Target leads").fill("4000")
    fill_party(form, FLOUR, budget="40", revenue="34", products=["Pastry Flour"])
    fill_party(form, SHORTENING, budget="30", revenue="33", products=["Golden Shortening"])
    fill_party(form, CHOCOLATE, budget="30", revenue="33", products=["Dark Chocolate Chips"])
    rows = form.locator("#placement-rows tr")
    expect(rows).to_have_count(1)  # a new offer: one empty row, more on request
    fill_placement(
        rows.nth(0),
        channel="Retail",
        owner=SHORTENING,
        name="In-store pie-crust display",
        cost="12,000",
    )
    # The second placement goes into a row added by app.js: it must be renumbered so the
    # server reads it as a second entry, not as a duplicate of the first.
    form.get_by_role("button", name="Add a placement").click()
    expect(rows).to_have_count(2)
    added = rows.nth(1)
    expect(added.get_by_label("Placement name")).to_have_attribute("name", "placements-1-name")
    fill_placement(
        added,
        channel="Partner newsletter",
        owner=CHOCOLATE,
        name="Holiday baking newsletter",
        cost="6000",
    )
    ada.screenshot(path=f"{SCREENSHOTS}/offer_terms_form.png", full_page=True)
    form.get_by_role("button", name="Save draft").click()

    expect(ada.get_by_role("alert")).to_contain_text("Draft saved. Only your company sees it")
    expect(ada.get_by_test_id("offer-status")).to_have_text("draft — not sent yet")
    offer_id = offer_id_of(ada)
    expect(ada.get_by_test_id("current-terms")).to_contain_text("€30,000.00")
    expect(ada.get_by_test_id("money-shares")).to_contain_text(f"{FLOUR} 40% · €12,000.00")
    expect_row_cells(
        ada.get_by_test_id("planned-placements"),
        [  # earliest first, then by name
            [
                "Holiday baking newsletter",
                "partner newsletter",
                CHOCOLATE,
                "the offer's dates",
                "€6,000.00",
            ],
            ["In-store pie-crust display", "retail", SHORTENING, "the offer's dates", "€12,000.00"],
        ],
    )
    expect(ada.get_by_test_id("plan-verdict")).to_have_text(
        "The planned placements fall short of the budget: €12,000.00 is not yet planned."
    )
    ada.get_by_role("button", name="Send to partners").click()
    expect(ada.get_by_role("alert")).to_contain_text("Offer sent. Every party has been notified.")
    expect(ada.get_by_test_id("offer-status")).to_have_text(
        f"waiting for {CHOCOLATE}'s, {SHORTENING}'s and {FLOUR}'s approvers"
    )

    # 2. Goldcrest's approver finds it with its due date: two business days after sending.
    first = stored_revision(live_server, offer_id, 1)
    assert first.sent_at is not None and first.review_due_at is not None
    assert first.review_due_at == WorkCalendar().deadline(first.sent_at, 2)
    gwen.reload()
    awaiting = gwen.get_by_test_id("waiting-offer_decision")
    expect(awaiting).to_contain_text(TITLE)
    expect(awaiting).to_contain_text(f"due {shown_as(first.review_due_at)}")
    gwen.goto("/offers/inbox")
    inbox = gwen.get_by_test_id("offers-table")
    expect(inbox).to_contain_text(f"{CHOCOLATE}, {SHORTENING}, {FLOUR}")
    expect(inbox).to_contain_text(shown_as(first.review_due_at))
    inbox.get_by_role("link", name=TITLE).click()
    expect(gwen.get_by_test_id("revision-number")).to_have_text("1")
    decide(gwen, "Changes requested", CHANGES_WANTED)
    gwen_decision = gwen.get_by_test_id("decisions")
    expect(gwen_decision).to_contain_text(f"{SHORTENING}: changes requested")
    expect(gwen_decision).to_contain_text("changes requested by Gwen Gold (approver)")
    expect(gwen_decision).to_contain_text(CHANGES_WANTED)

    # 3. Ada sees the decision on her dashboard and through the bell, and proposes changes.
    ada.goto("/dashboard")
    expect(ada.get_by_test_id("waiting-offer_revision")).to_contain_text(TITLE)
    expect(ada.get_by_test_id("unread-count")).to_have_text("1")
    ada.get_by_test_id("bell").click()
    notification = ada.get_by_test_id("notifications").get_by_role("listitem")
    expect(notification).to_contain_text(f"{SHORTENING}: changes requested — {TITLE}")
    notification.get_by_role("button", name="Open").click()
    expect(ada).to_have_url(f"{live_server.url}/offers/{offer_id}")
    expect(ada.get_by_test_id("unread-count")).to_have_count(0)
    expect(ada.get_by_test_id("decisions")).to_contain_text(CHANGES_WANTED)
    ada.get_by_test_id("propose-changes").click()

    form = ada.get_by_test_id("terms-form")
    expect(form.get_by_label("Title")).to_have_value(TITLE)
    expect(form.get_by_label("Total budget")).to_have_value("30000.00")
    form.get_by_label("Total budget").fill("36,000")
    form.get_by_test_id(f"party-{FLOUR}").get_by_label("Budget share (%)").fill("45")
    form.get_by_test_id(f"party-{SHORTENING}").get_by_label("Budget share (%)").fill("25")
    form.get_by_label("What changed and why").fill(CHANGE_NOTE)
    form.get_by_role("button", name="Send revision to all parties").click()

    # 4. The offer page shows revision 2 and exactly what changed from revision 1.
    expect(ada.get_by_role("alert")).to_contain_text("Revision 2 sent to every party.")
    expect(ada.get_by_test_id("revision-number")).to_have_text("2")
    expect(ada.get_by_test_id("revision-2")).to_contain_text(CHANGE_NOTE)
    expect_row_cells(
        ada.get_by_test_id("diff-2"),
        [
            ["Total budget", "€30,000.00", "€36,000.00"],
            # Cocoa Chip keeps 30 %, of a larger budget: it pays more.
            [f"{CHOCOLATE}: budget share", "30% · €9,000.00", "30% · €10,800.00"],
            [f"{SHORTENING}: budget share", "30% · €9,000.00", "25% · €9,000.00"],
            [f"{FLOUR}: budget share", "40% · €12,000.00", "45% · €16,200.00"],
        ],
    )
    ada.screenshot(path=f"{SCREENSHOTS}/offer_revision_diff.png", full_page=True)

    gwen.reload()
    expect(gwen.get_by_test_id("revision-number")).to_have_text("2")
    expect(gwen.get_by_test_id("decisions")).to_contain_text(f"{SHORTENING}: waiting")
    decide(gwen, "Approved")

    # Ada is a partner manager: her revision counts for Millstone once its approver approves.
    mia = browsing.new_page()
    sign_in(mia, cast.flour_approver)
    mia.get_by_test_id("waiting-offer_decision").get_by_role("link", name=TITLE).click()
    expect(mia.get_by_test_id("revision-number")).to_have_text("2")
    decide(mia, "Approved")

    cole = browsing.new_page()
    sign_in(cole, cast.chocolate_approver)
    cole.get_by_test_id("waiting-offer_decision").get_by_role("link", name=TITLE).click()
    expect(cole.get_by_test_id("revision-number")).to_have_text("2")
    decide(cole, "Approved", last=True)

    # 5. Approved by all: each company opens the same joint campaign.
    expect(cole.get_by_test_id("offer-status")).to_have_text(
        re.compile(r"^approved — campaign #\d+$")
    )
    for page in (ada, gwen, cole):
        if page is not cole:
            page.reload()
        expect(page.get_by_test_id("offer-status")).to_have_text(
            re.compile(r"^approved — campaign #\d+$")
        )
        page.get_by_role("link", name="Open the joint campaign").click()
        expect(page).to_have_url(re.compile(r"/campaigns/\d+$"))
        expect(page.get_by_test_id("campaign-name")).to_have_text(TITLE)
        # Commitments follow the agreed budget shares of €36,000.00 exactly.
        expect_row_cells(
            page.get_by_test_id("party-balances"),
            [
                [CHOCOLATE, "30%", "33%", "€10,800.00", "€0.00", "€0.00", "€0.00", "€10,800.00"],
                [SHORTENING, "25%", "33%", "€9,000.00", "€0.00", "€0.00", "€0.00", "€9,000.00"],
                [FLOUR, "45%", "34%", "€16,200.00", "€0.00", "€0.00", "€0.00", "€16,200.00"],
            ],
        )
        placements = page.get_by_test_id("campaign-placements").locator("tbody tr")
        expect(placements).to_have_count(2)
        for name, channel, owner, cost in [
            ("In-store pie-crust display", "retail", SHORTENING, "€12,000.00"),
            ("Holiday baking newsletter", "partner newsletter", CHOCOLATE, "€6,000.00"),
        ]:
            row = placements.filter(has_text=name)
            expect(row.locator("td").nth(1)).to_have_text(channel)
            expect(row.locator("td").nth(2)).to_have_text(owner)
            expect(row.locator("td").nth(4)).to_have_text(cost)
    assert ada.url == gwen.url == cole.url, "the three companies see different campaigns"

    browsing.assert_clean()
