"""Issue 4 journey in a real browser: a joint campaign's placements, shared budget and
settlement, and a channel clash on the calendar.

Seeded: a flour and a shortening company whose two-party offer was approved with 60/40 budget
shares of €10,000 (so the approval committed €6,000 and €4,000), and a solo campaign of the
flour company with an email placement over the same weeks. In the browser the two partner
managers add placements, commit and spend; both see who owes whom; the flour company sees the
clash on its calendar and the shortening company does not. Each person has their own browser
context, and the journey ends with ``browsing.assert_clean()`` for all of them.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import Locator, Page, expect

from comarketing.campaigns import lifecycle, placements
from comarketing.campaigns.models import Campaign
from comarketing.dates_format import format_date
from comarketing.extensions import db
from comarketing.money import format_money
from comarketing.offers import reviews
from comarketing.policy import Role
from tests import factories
from tests.browser.bakeries import FLOUR, SHORTENING, partnered_bakeries
from tests.browser.nav import go_to
from tests.offer_helpers import actor, make_terms, placement, propose_and_send

pytestmark = pytest.mark.browser

# Alphabetical order is the order the campaign page lists parties in.
FLOUR_MANAGER = "ada@millstone.example"
SHORTENING_MANAGER = "sam@goldcrest.example"
SHORTENING_APPROVER = "gwen@goldcrest.example"
FLOUR_APPROVER = "mia@millstone.example"

TITLE = "Winter pie-crust bundle"
SOLO_TITLE = "Millstone bread-flour week"
NEWSLETTER = "Millstone baking newsletter"
REELS = "Goldcrest pie-crust reels"
# Agreed budget shares in basis points; what each party owes follows from these alone.
FLOUR_SHARE_BP, SHORTENING_SHARE_BP = 6_000, 4_000
SCREENSHOTS = "/tmp"


@dataclass(frozen=True)
class Seeded:
    joint_id: int
    start: date  # the joint campaign's dates
    end: date
    newsletter_start: date  # flour's email placement in the joint campaign (added in the UI)
    newsletter_end: date


def seed(live_server, today: date) -> Seeded:
    """Two partner companies, their approved offer's joint campaign, and flour's solo one.

    Dates are around today, so the campaign is running: the burn chart draws spend up to today
    and the calendar's current month holds the clash.
    """
    start, end = today - timedelta(days=14), today + timedelta(days=30)
    with live_server.app.app_context():
        flour, shortening = partnered_bakeries(
            [
                ("flour", FLOUR_MANAGER, "Ada Miller", Role.PARTNER_MANAGER),
                ("flour", FLOUR_APPROVER, "Mia Miller", Role.APPROVER),
                ("shortening", SHORTENING_MANAGER, "Sam Gold", Role.PARTNER_MANAGER),
                ("shortening", SHORTENING_APPROVER, "Gwen Gold", Role.APPROVER),
            ]
        )

        parties = [flour.id, shortening.id]
        terms = make_terms(
            parties,
            budget_shares={flour.id: FLOUR_SHARE_BP, shortening.id: SHORTENING_SHARE_BP},
            placements=[
                placement(shortening.id, 200_000, channel="retail", name="In-store display")
            ],
            title=TITLE,
            start_date=start,
            end_date=end,
            currency="EUR",
            total_budget_minor=1_000_000,
        )
        offer_id = propose_and_send(FLOUR_MANAGER, parties, terms)
        # Ada is a partner manager: her own company's approver approves too.
        for approver in (FLOUR_APPROVER, SHORTENING_APPROVER):
            reviews.decide(actor(approver), offer_id, revision_number=1, decision="approved")
        joint_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.offer_id == offer_id))
        assert joint_id is not None, "approving the offer created no campaign"

        # Flour's own newsletter also runs in its solo campaign: the same channel, same weeks.
        solo = lifecycle.create_solo_campaign(
            actor(FLOUR_MANAGER),
            lifecycle.CampaignInput(
                name=SOLO_TITLE,
                description="",
                start_date=today - timedelta(days=10),
                end_date=today + timedelta(days=10),
                currency="EUR",
            ),
        )
        placements.add_placement(
            actor(FLOUR_MANAGER),
            solo.id,
            placements.PlacementInput(
                channel="email",
                owner_organization_id=flour.id,
                name="Millstone monthly newsletter",
                url="",
                start_date=None,
                end_date=None,
                planned_cost_minor=150_000,
            ),
        )
    return Seeded(
        joint_id=joint_id,
        start=start,
        end=end,
        newsletter_start=today - timedelta(days=7),
        newsletter_end=today + timedelta(days=7),
    )


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def add_placement(
    page: Page, *, channel: str, name: str, start: date, end: date, cost: str, owner: str
) -> None:
    page.get_by_role("link", name="Add a placement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a placement")
    page.get_by_label("Channel").select_option(label=channel)
    # People add placements for their own company only: it is the one choice offered.
    owning = page.get_by_label("Owning party")
    expect(owning.locator("option")).to_have_text([owner])
    page.get_by_label("Name").fill(name)
    page.get_by_label("Start date").fill(start.isoformat())
    page.get_by_label("End date").fill(end.isoformat())
    page.get_by_label("Planned cost").fill(cost)
    page.get_by_role("button", name="Save placement").click()
    expect(page.get_by_role("alert")).to_contain_text("Placement saved.")


def log_expense(page: Page, *, placement_name: str, owner: str, amount: str) -> Locator:
    """Claim an expense paid today for today's service (issue 14: expenses are claims)."""
    form = page.get_by_test_id("claim-form")
    # Options name the owning party too; one's own placements come first.
    form.get_by_label("Placement").select_option(label=f"{placement_name} ({owner})")
    form.get_by_label("Amount").fill(amount)
    today = date.today().isoformat()
    for label in ("Service from", "Service to", "Paid on"):
        form.get_by_label(label).fill(today)
    form.get_by_role("button", name="Claim expense").click()
    return page.get_by_test_id("claim-form")


def confirm_partner_claims(page: Page) -> None:
    """Confirm, for the page's company, every claim of the partner that awaits it."""
    buttons = page.get_by_test_id("claims").get_by_role("button", name="Confirm", exact=True)
    while buttons.count():
        buttons.first.click()
        expect(page.get_by_role("alert")).to_contain_text("Claim confirmed.")


def expect_row_cells(table: Locator, cells: list[list[str]]) -> None:
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(len(cells))
    for index, expected in enumerate(cells):
        expect(rows.nth(index).locator("td")).to_have_text(expected)


def eur(minor: int) -> str:
    return format_money(minor, "EUR")


def burn_chart(page: Page) -> dict | None:
    """What Chart.js drew on the burn canvas, or None when no chart is attached to it."""
    return page.evaluate(
        """() => {
            const canvas = document.getElementById("burn-chart");
            const chart = window.Chart && canvas ? window.Chart.getChart(canvas) : undefined;
            if (!chart) return null;
            return {
                width: canvas.width,
                height: canvas.height,
                labels: chart.data.labels,
                actual: chart.data.datasets[0].data,
                plan: chart.data.datasets[1].data,
            };
        }"""
    )


def test_two_partners_spend_a_joint_budget_settle_up_and_see_a_channel_clash(live_server, browsing):
    today = date.today()
    seeded = seed(live_server, today)
    campaign_url = f"{live_server.url}/campaigns/{seeded.joint_id}"
    # The pages print date ranges with an en dash.
    newsletter_dates = (
        f"{format_date(seeded.newsletter_start)} \u2013 {format_date(seeded.newsletter_end)}"
    )

    # 1. Millstone's partner manager finds the joint campaign, adds its newsletter, starts it.
    ada = browsing.new_page()
    sign_in(ada, FLOUR_MANAGER)
    go_to(ada, "Campaigns")
    ada.get_by_test_id("campaigns-table").get_by_role("link", name=TITLE).click()
    expect(ada).to_have_url(campaign_url)
    expect(ada.get_by_test_id("campaign-status")).to_have_text("planned")
    # The approval committed the agreed shares of €10,000: €6,000 and €4,000.
    expect(ada.get_by_test_id("committed")).to_have_text("€10,000.00")
    add_placement(
        ada,
        channel="Email",
        name=NEWSLETTER,
        start=seeded.newsletter_start,
        end=seeded.newsletter_end,
        cost="2,500",
        owner=FLOUR,
    )
    expect(ada).to_have_url(f"{campaign_url}#placements")
    newsletter_row = ada.get_by_test_id("campaign-placements").locator("tr", has_text=NEWSLETTER)
    expect(newsletter_row.locator("td").nth(1)).to_have_text("email")
    expect(newsletter_row.locator("td").nth(2)).to_have_text(FLOUR)
    expect(newsletter_row.locator("td").nth(3)).to_have_text(newsletter_dates)
    expect(newsletter_row.locator("td").nth(4)).to_have_text("€2,500.00")
    ada.get_by_role("button", name="Start campaign").click()
    expect(ada.get_by_role("alert")).to_contain_text("Campaign active.")
    expect(ada.get_by_test_id("campaign-status")).to_have_text("active")

    # 2. Goldcrest's partner manager adds its own placement, commits €1,000 more, spends.
    sam = browsing.new_page()
    sign_in(sam, SHORTENING_MANAGER)
    sam.goto(campaign_url)
    expect(sam.get_by_test_id("campaign-status")).to_have_text("active")
    add_placement(
        sam,
        channel="Social",
        name=REELS,
        start=seeded.start,
        end=seeded.end,
        cost="3,000",
        owner=SHORTENING,
    )
    commitment = sam.get_by_test_id("commitment-form")
    expect(commitment.get_by_label("For").locator("option")).to_have_text([SHORTENING])
    commitment.get_by_label("Amount").fill("1,000")
    commitment.get_by_label("Note").fill("Extra for the reels")
    commitment.get_by_role("button", name="Commit").click()
    expect(sam.get_by_role("alert")).to_contain_text("Commitment recorded.")
    expect(sam.get_by_test_id("committed")).to_have_text("€11,000.00")
    log_expense(sam, placement_name=REELS, owner=SHORTENING, amount="1,234.50")
    expect(sam.get_by_role("alert")).to_contain_text("Expense claimed.")
    expect(sam.get_by_test_id("spent")).to_have_text("€1,234.50")

    # 3. Millstone pays the newsletter; one more payment would pass the commitments.
    ada.reload()
    log_expense(ada, placement_name=NEWSLETTER, owner=FLOUR, amount="7,000")
    expect(ada.get_by_role("alert")).to_contain_text("Expense claimed.")
    expect(ada.get_by_test_id("spent")).to_have_text("€8,234.50")
    form = log_expense(ada, placement_name=NEWSLETTER, owner=FLOUR, amount="3,000")
    expect(form.locator('[data-field-error="amount"]')).to_have_text(
        "This claim would take spend to €11,234.50, above the €11,000.00 committed. "
        "Ask the parties to commit more budget first."
    )
    expect(form.get_by_label("Amount")).to_have_attribute("aria-invalid", "true")
    expect(ada.get_by_test_id("spent")).to_have_text("€8,234.50")
    # An odd cent on purpose: 60 % of the total is not a whole number of cents.
    log_expense(ada, placement_name=NEWSLETTER, owner=FLOUR, amount="1500.01")
    expect(ada.get_by_role("alert")).to_contain_text("Expense claimed.")
    expect(ada).to_have_url(f"{campaign_url}#claims")
    # Each company confirms the other's claims: only confirmed claims settle.
    confirm_partner_claims(ada)
    sam.goto(campaign_url)
    confirm_partner_claims(sam)

    # 4. Both companies see the same budget panel and settlement, computed here from the
    # agreed shares: the largest remainder (flour's 0.6 of a cent) takes the odd cent, so
    # shortening's share is rounded down and the two shares add up to the spend exactly.
    committed = {FLOUR: 600_000, SHORTENING: 400_000 + 100_000}
    paid = {FLOUR: 700_000 + 150_001, SHORTENING: 123_450}
    spent = sum(paid.values())
    shortening_share = spent * SHORTENING_SHARE_BP // 10_000
    flour_share = spent - shortening_share
    owed = shortening_share - paid[SHORTENING]
    assert (flour_share, shortening_share, owed) == (584_071, 389_380, 265_930)
    for page in (ada, sam):
        page.goto(campaign_url)
        expect(page.get_by_test_id("committed")).to_have_text(eur(sum(committed.values())))
        expect(page.get_by_test_id("spent")).to_have_text(eur(spent))
        expect(page.get_by_test_id("remaining")).to_have_text(eur(sum(committed.values()) - spent))
        expect_row_cells(
            page.get_by_test_id("party-balances"),
            [
                [
                    name,
                    share,
                    revenue_share,
                    eur(committed[name]),
                    eur(paid[name]),
                    eur(0),
                    eur(0),
                    eur(committed[name] - paid[name]),
                ]
                for name, share, revenue_share in (
                    (SHORTENING, "40%", "40%"),  # revenue shares default to the budget shares
                    (FLOUR, "60%", "60%"),
                )
            ],
        )
        expect_row_cells(
            page.get_by_test_id("settlement"),
            [
                [FLOUR, eur(paid[FLOUR]), eur(flour_share), eur(0), eur(0), eur(owed)],
                [
                    SHORTENING,
                    eur(paid[SHORTENING]),
                    eur(shortening_share),
                    eur(0),
                    eur(0),
                    eur(-owed),
                ],
            ],
        )
        expect(page.get_by_test_id("transfers").get_by_role("listitem")).to_have_text(
            [f"{SHORTENING} owes {FLOUR} {eur(owed)}"]
        )
        expect(page.get_by_test_id("transfers")).to_have_text(re.compile(r"€2,659\.30"))
        # Chart.js ran under the CSP and drew the burn: spend so far up to today, and the
        # even burn reaching the commitments on the last day.
        chart = burn_chart(page)
        assert chart is not None, "no Chart.js chart on the burn canvas"
        assert chart["width"] > 0 and chart["height"] > 0
        today_index = chart["labels"].index(today.isoformat())
        assert chart["actual"][today_index] == spent / 100
        assert chart["actual"][today_index + 1] is None, "spend drawn into the future"
        assert chart["plan"][-1] == sum(committed.values()) / 100
    ada.screenshot(path=f"{SCREENSHOTS}/campaign_budget_panel.png", full_page=True)

    # Passing 80 % of the commitments told the other party's partner manager.
    sam.get_by_test_id("bell").click()
    expect(sam.get_by_test_id("notifications")).to_contain_text(f"Budget 80% spent: {TITLE}")

    # 5. Millstone's calendar flags its two email placements over the same days (the issue 18
    # calendar has its own journey: tests/browser/test_calendar_journey.py).
    go_to(ada, "Calendar")
    expect(ada.get_by_role("heading", level=1)).to_have_text(today.strftime("%B %Y"))
    clashes = ada.get_by_test_id("clashes")
    # Placement by placement: the solo campaign's newsletter (seeded first) and the joint one's.
    start, end = seeded.newsletter_start, seeded.newsletter_end
    expect(clashes.get_by_role("listitem")).to_have_text(
        [
            f"Email: Millstone monthly newsletter ({SOLO_TITLE}) and {NEWSLETTER} ({TITLE}), "
            f"{format_date(start)} \u2013 {format_date(end)}"
        ]
    )
    expect(clashes.get_by_role("link", name="Millstone monthly newsletter")).to_be_visible()
    grid = calendar.Calendar().monthdatescalendar(today.year, today.month)
    clash_days = [
        (seeded.newsletter_start + timedelta(days=n)).isoformat()
        for n in range((seeded.newsletter_end - seeded.newsletter_start).days + 1)
        if grid[0][0] <= seeded.newsletter_start + timedelta(days=n) <= grid[-1][-1]
    ]
    highlighted = ada.get_by_test_id("calendar").locator('td[data-clash="true"]')
    expect(highlighted).to_have_count(len(clash_days))
    assert [cell.get_attribute("data-day") for cell in highlighted.all()] == clash_days
    # Highlighted for the eye, not only in the markup: a clash day looks unlike a plain day
    # (Bootstrap's own cell shadow once hid the highlight), and the week fits the window.
    shadow = "(cell) => getComputedStyle(cell).boxShadow"
    clash_look = highlighted.first.evaluate(shadow)
    plain_look = ada.locator("td[data-day]:not([data-clash])").first.evaluate(shadow)
    assert clash_look != plain_look, "the clash days look like any other day"
    table_box = ada.get_by_test_id("calendar").bounding_box()
    assert table_box is not None and ada.viewport_size is not None
    assert table_box["x"] + table_box["width"] <= ada.viewport_size["width"]
    ada.screenshot(path=f"{SCREENSHOTS}/campaign_calendar.png", full_page=True)

    # Goldcrest's calendar shows the joint campaign only: flour's solo campaign is private.
    go_to(sam, "Calendar")
    expect(sam.get_by_test_id("calendar")).to_contain_text(TITLE)
    expect(sam.get_by_text(SOLO_TITLE)).to_have_count(0)
    expect(sam.get_by_test_id("clashes")).to_have_count(0)
    expect(sam.locator('td[data-clash="true"]')).to_have_count(0)

    # The refused expense came back as 422 with the form, which Chromium logs as a failed
    # load: that one entry is expected; anything else is still an error.
    refused = [e for e in browsing.console_errors if "status of 422" in e]
    assert len(refused) == 1 and f"/campaigns/{seeded.joint_id}/claims" in refused[0]
    browsing.console_errors.remove(refused[0])
    browsing.assert_clean()
