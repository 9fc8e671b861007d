"""Issue 18 journey in a real browser: a calendar to plan with.

Seeded: a flour and a shortening company with a joint campaign around today (flour's email
newsletter, shortening's social reels), and a solo campaign of the flour company whose own
email newsletter runs over some of the same days. In the browser the shortening company's
partner manager puts a blackout (no placements) on today; the flour company's partner manager
opens the calendar and sees both clashes flagged on both items, filters by channel and owner,
is told about a filter value that means nothing, switches to the week view, steps a week on and
back, and follows a flagged placement to its page, which names the clashes too.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from comarketing.campaigns import lifecycle, placements
from comarketing.dates_format import format_date
from comarketing.extensions import db
from comarketing.policy import Role
from tests import factories
from tests.browser.bakeries import SHORTENING, partnered_bakeries
from tests.browser.nav import go_to
from tests.offer_helpers import actor

pytestmark = pytest.mark.browser

ADA, SAM = "ada@millstone.example", "sam@goldcrest.example"
JOINT, SOLO = "Winter pie-crust bundle", "Millstone bread-flour week"
NEWSLETTER, REELS, SOLO_MAIL = "Millstone baking newsletter", "Goldcrest reels", "Bread mail"
SCREENSHOTS = "/tmp"


def _placement(campaign_id: int, owner_id: int, email: str, channel: str, name: str, start, end):
    return placements.add_placement(
        actor(email),
        campaign_id,
        placements.PlacementInput(
            channel=channel,
            owner_organization_id=owner_id,
            name=name,
            url="",
            start_date=start,
            end_date=end,
            planned_cost_minor=100_000,
        ),
    ).id


def seed(live_server, today: date) -> dict[str, int]:
    with live_server.app.app_context():
        flour, shortening = partnered_bakeries(
            [
                ("flour", ADA, "Ada Miller", Role.PARTNER_MANAGER),
                ("shortening", SAM, "Sam Gold", Role.PARTNER_MANAGER),
            ]
        )
        joint = lifecycle.create_joint_campaign(
            offer_id=None,
            proposer_organization_id=flour.id,
            created_by_id=None,
            name=JOINT,
            description="",
            start_date=today - timedelta(days=20),
            end_date=today + timedelta(days=20),
            currency="EUR",
            total_budget_minor=1_000_000,
            target_reach=None,
            target_leads=None,
            target_revenue_minor=None,
            parties=[
                lifecycle.PartyShare(flour.id, 5_000, 5_000),
                lifecycle.PartyShare(shortening.id, 5_000, 5_000),
            ],
            placements=[],
        )
        db.session.commit()
        near = (today - timedelta(days=3), today + timedelta(days=3))
        ids = {
            "joint": joint.id,
            "newsletter": _placement(joint.id, flour.id, ADA, "email", NEWSLETTER, *near),
            "reels": _placement(joint.id, shortening.id, SAM, "social", REELS, *near),
        }
        solo = lifecycle.create_solo_campaign(
            actor(ADA),
            lifecycle.CampaignInput(
                name=SOLO,
                description="",
                start_date=today - timedelta(days=10),
                end_date=today + timedelta(days=10),
                currency="EUR",
            ),
        )
        ids["solo"] = solo.id
        ids["solo_mail"] = _placement(solo.id, flour.id, ADA, "email", SOLO_MAIL, today, today)
    return ids


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def item(page: Page, kind: str, item_id: int):
    return page.get_by_test_id("calendar").locator(f'a[data-item="{kind}-{item_id}"]')


def test_a_partners_blackout_and_my_double_booked_channel_show_on_the_calendar(
    live_server, browsing
):
    today = date.today()
    ids = seed(live_server, today)

    # 1. Goldcrest's partner manager puts a blackout on today in the joint campaign.
    sam = browsing.new_page()
    sign_in(sam, SAM)
    sam.goto(f"/campaigns/{ids['joint']}")
    form = sam.get_by_test_id("milestone-form")
    form.get_by_label("Kind").select_option(label="Blackout (no placements)")
    form.get_by_label("Title (optional)").fill("Recall day")
    form.get_by_label("Due").fill(today.isoformat())
    form.get_by_role("button", name="Add milestone").click()
    expect(sam.get_by_test_id("milestones")).to_contain_text("Recall day")

    # 2. Millstone's partner manager opens the calendar: this month, bands, both clashes.
    ada = browsing.new_page()
    ada.set_viewport_size({"width": 1280, "height": 900})
    sign_in(ada, ADA)
    go_to(ada, "Calendar")
    expect(ada.get_by_test_id("calendar-title")).to_have_text(today.strftime("%B %Y"))
    clashes = ada.get_by_test_id("clashes").get_by_role("listitem")
    day = format_date(today)  # the one date format (issue 18)
    expect(clashes).to_have_text(
        [
            f"{NEWSLETTER} ({JOINT}) runs on the blackout Recall day, {day}",
            f"Email: {NEWSLETTER} ({JOINT}) and {SOLO_MAIL} ({SOLO}), {day}",
        ]
    )
    newsletter = item(ada, "placement", ids["newsletter"])
    for flagged in (newsletter, item(ada, "placement", ids["solo_mail"])):
        expect(flagged.first).to_have_attribute("data-clash", "true")
    expect(ada.get_by_test_id("calendar").locator("a[data-item^='milestone-']")).to_have_attribute(
        "data-clash", "true"
    )
    expect(item(ada, "placement", ids["reels"]).first).not_to_have_attribute("data-clash", "true")
    # Coloured by channel, for the eye: the email and the social band differ.
    colour = "(el) => getComputedStyle(el).borderLeftColor"
    email_colour = newsletter.first.evaluate(colour)
    assert email_colour != item(ada, "placement", ids["reels"]).first.evaluate(colour)
    # Flagged for the eye too, not only in the markup.
    outline = "(el) => getComputedStyle(el).outlineStyle"
    assert newsletter.first.evaluate(outline) == "solid"
    assert item(ada, "placement", ids["reels"]).first.evaluate(outline) == "none"
    # The joint campaign is a band across days, not a chip per day.
    band = item(ada, "campaign", ids["joint"]).first
    assert int(band.locator("xpath=..").get_attribute("colspan") or "1") > 1
    # The month fits the window (the navigation bar's own width is issue 18's layout work).
    box = ada.get_by_test_id("calendar").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1280, "the calendar is too wide"
    ada.screenshot(path=f"{SCREENSHOTS}/calendar_month.png", full_page=True)

    # 3. Filters: social only, then partners' items only.
    filters = ada.get_by_test_id("calendar-filters")
    filters.get_by_label("Channel").select_option(label="Social")
    filters.get_by_role("button", name="Filter").click()
    expect(ada).to_have_url(re.compile(r"channel=social"))
    expect(item(ada, "placement", ids["reels"]).first).to_be_visible()
    expect(item(ada, "placement", ids["newsletter"])).to_have_count(0)
    expect(item(ada, "campaign", ids["solo"])).to_have_count(0)
    filters.get_by_label("Channel").select_option(label="All channels")
    filters.get_by_label("Whose").select_option(label="Partners'")
    filters.get_by_role("button", name="Filter").click()
    expect(item(ada, "placement", ids["reels"]).first).to_be_visible()
    expect(item(ada, "placement", ids["solo_mail"])).to_have_count(0)
    # A value that means nothing is named next to its field, and the rest still works.
    ada.goto("/calendar?owner=partners&channel=telepathy")
    expect(ada.locator('[data-field-error="channel"]')).to_have_text(
        "No such channel: showing every channel."
    )
    expect(item(ada, "placement", ids["reels"]).first).to_be_visible()
    ada.get_by_role("link", name="Clear filters").click()
    expect(item(ada, "placement", ids["solo_mail"]).first).to_be_visible()

    # 4. The week view: seven days, each placement with its channel, owner and campaign.
    ada.get_by_role("link", name="Week", exact=True).click()
    expect(ada.get_by_test_id("calendar-title")).to_contain_text("Week of")
    expect(ada.get_by_test_id("calendar").locator("td[data-day]")).to_have_count(7)
    monday = today - timedelta(days=today.weekday())
    expect(ada.get_by_test_id("calendar").locator("td[data-day]").first).to_have_attribute(
        "data-day", monday.isoformat()
    )
    expect(item(ada, "placement", ids["reels"])).to_contain_text(f"Social · {SHORTENING} · {JOINT}")
    expect(ada.locator(f'td[data-day="{today.isoformat()}"]')).to_have_attribute(
        "data-clash", "true"
    )
    ada.screenshot(path=f"{SCREENSHOTS}/calendar_week.png", full_page=True)
    ada.get_by_test_id("calendar-next").click()
    expect(ada.get_by_test_id("calendar").locator("td[data-day]").first).to_have_attribute(
        "data-day", (monday + timedelta(days=7)).isoformat()
    )
    ada.get_by_test_id("calendar-previous").click()

    # 5. The flagged placement's own page names both clashes.
    item(ada, "placement", ids["newsletter"]).first.click()
    expect(ada.get_by_test_id("placement-name")).to_have_text(NEWSLETTER)
    flags = ada.get_by_test_id("placement-clashes").get_by_role("listitem")
    expect(flags).to_have_count(2)
    expect(flags.nth(0)).to_contain_text("runs on the blackout Recall day of another party")
    expect(flags.nth(1)).to_contain_text(f"Your email placement {SOLO_MAIL} ({SOLO})")

    # Goldcrest sees the blackout clash of the joint campaign, never Millstone's solo work.
    go_to(sam, "Calendar")
    expect(sam.get_by_test_id("clashes").get_by_role("listitem")).to_have_count(1)
    expect(sam.get_by_text(SOLO)).to_have_count(0)
    expect(sam.get_by_text(SOLO_MAIL)).to_have_count(0)

    browsing.assert_clean()
