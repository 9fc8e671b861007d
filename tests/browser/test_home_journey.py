"""Issue 18 journeys in a real browser: the home page says what waits for me and how we do.

1. Goldcrest's approver finds two creative reviews (one overdue, flagged) and an expense claim
   on her home page, soonest due first; she approves the reviews and confirms the claim from
   their links, and each disappears from the page.
2. Millstone's partner manager accepts a partner invitation on her home page, finds a results
   import waiting for her choice and a milestone due, marks the milestone done; "Waiting for
   others" tells her what Goldcrest has not answered yet.
3. Millstone's analyst has nothing to act on; she sees the campaigns running now with their
   spend against the commitments, the joint vs solo headline of the last whole quarter, and
   opens the report for that quarter from it.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from freezegun import freeze_time
from playwright.sync_api import expect

from comarketing.accounts.models import Organization
from comarketing.campaigns import milestones
from comarketing.campaigns.models import Campaign, Placement
from comarketing.collateral import assets
from comarketing.dashboard.home import last_whole_quarter
from comarketing.extensions import db
from comarketing.metrics import uploads
from tests import campaign_helpers as ch
from tests import factories
from tests.browser.test_campaign_journey import (
    FLOUR,
    FLOUR_MANAGER,
    SHORTENING,
    SHORTENING_APPROVER,
    SOLO_TITLE,
    TITLE,
    seed,
    sign_in,
)
from tests.collateral import samples
from tests.offer_helpers import actor, make_terms, propose_and_send

pytestmark = pytest.mark.browser

FLOUR_ANALYST = "nora@millstone.example"
LATE_BANNER, SHELF_CARD = "Late shelf banner", "Recipe shelf card"


def organization_ids() -> tuple[int, int]:
    flour = actor(FLOUR_MANAGER).organization_id
    return flour, actor(SHORTENING_APPROVER).organization_id


def send_asset(campaign_id: int, title: str, parties: list[int]) -> None:
    assets.create_asset(
        actor(FLOUR_MANAGER),
        campaign_id,
        assets.AssetInput(title=title, audience="customers", party_ids=parties),
        assets.VersionInput(stream=io.BytesIO(samples.png()), filename="banner.png"),
    )


def in_store_display(campaign_id: int) -> int:
    found = db.session.scalar(sa.select(Placement.id).where(Placement.campaign_id == campaign_id))
    assert found is not None
    return found


def test_an_approver_clears_her_reviews_and_claims_from_the_home_page(live_server, browsing):
    today = date.today()
    seeded = seed(live_server, today)
    with live_server.app.app_context():
        flour, shortening = organization_ids()
        # Sent a week ago: due after two business days, so overdue now.
        with freeze_time(datetime.combine(today - timedelta(days=7), time(9))):
            send_asset(seeded.joint_id, LATE_BANNER, [flour, shortening])
        send_asset(seeded.joint_id, SHELF_CARD, [flour, shortening])
        ch.spend(FLOUR_MANAGER, seeded.joint_id, in_store_display(seeded.joint_id), 25_000)
        db.session.remove()

    gwen = browsing.new_page()
    sign_in(gwen, SHORTENING_APPROVER)
    waiting = gwen.get_by_test_id("waiting-for-you")
    items = waiting.get_by_role("listitem")
    expect(items).to_have_count(3)
    # Soonest due first: the overdue review leads, flagged.
    expect(items.nth(0)).to_contain_text(LATE_BANNER)
    expect(items.nth(0).get_by_test_id("overdue")).to_be_visible()
    expect(gwen.get_by_test_id("overdue-count")).to_have_text("1 overdue")
    expect(waiting.get_by_test_id("waiting-claim")).to_contain_text(f"€250.00 from {FLOUR}")
    expect(waiting.get_by_test_id("waiting-claim")).to_contain_text(
        re.compile(r"due end of \w+, \d")
    )

    # 1. The overdue review: one click to the asset, approve, back home it is gone.
    items.nth(0).get_by_role("link").click()
    expect(gwen).to_have_url(re.compile(r"/collateral/assets/\d+$"))
    gwen.get_by_label("Decision").select_option("approved")
    gwen.get_by_role("button", name="Send decision").click()
    expect(gwen.get_by_test_id("asset-status")).to_have_text("Ready")
    gwen.goto("/dashboard")
    expect(items).to_have_count(2)
    expect(waiting).not_to_contain_text(LATE_BANNER)
    expect(gwen.get_by_test_id("overdue-count")).to_have_count(0)

    # 2. The claim: its link opens the campaign at the claim; confirm it.
    waiting.get_by_test_id("waiting-claim").get_by_role("link").click()
    expect(gwen).to_have_url(re.compile(rf"/campaigns/{seeded.joint_id}#claim-\d+$"))
    gwen.get_by_test_id("claims").get_by_role("button", name="Confirm", exact=True).click()
    expect(gwen.get_by_role("alert")).to_contain_text("Claim confirmed.")
    gwen.goto("/dashboard")
    expect(items).to_have_count(1)
    expect(items.nth(0)).to_contain_text(SHELF_CARD)

    # 3. The last review, and nothing waits any more.
    items.nth(0).get_by_role("link").click()
    gwen.get_by_label("Decision").select_option("approved")
    gwen.get_by_role("button", name="Send decision").click()
    gwen.goto("/dashboard")
    expect(gwen.get_by_test_id("attention")).to_contain_text("Nothing waits for you right now.")

    browsing.assert_clean()


RESULTS = "date,placement,impressions,reach\n{day},Millstone monthly newsletter,1000,800\n"


def test_a_partner_manager_answers_what_waits_and_sees_what_partners_owe_an_answer_to(
    live_server, browsing
):
    today = date.today()
    seeded = seed(live_server, today)
    with live_server.app.app_context():
        flour, shortening = organization_ids()
        crumb = factories.OrganizationFactory(name="Crumb Bakery", slug="crumb")
        factories.UserFactory(organization=crumb, email="casey@crumb.example", role="admin")
        factories.PartnershipFactory(
            inviter_organization_id=crumb.id,
            invitee_organization_id=flour,
            invitee_email=FLOUR_MANAGER,
            status="pending",
        )
        db.session.commit()
        propose_and_send(
            FLOUR_MANAGER, [flour, shortening], make_terms([flour, shortening], title="Tart week")
        )
        milestones.add_milestone(
            actor(FLOUR_MANAGER),
            seeded.joint_id,
            kind="creative_due",
            title="Print files to the printer",
            owner_organization_id=flour,
            due_on=today + timedelta(days=3),
        )
        solo = db.session.scalar(sa.select(Campaign.id).where(Campaign.name == SOLO_TITLE))
        assert solo is not None
        results = RESULTS.format(day=(today - timedelta(days=1)).isoformat())
        import_id = uploads.upload(
            actor(FLOUR_MANAGER), io.BytesIO(results.encode()), "newsletter.csv", campaign_id=solo
        ).id
        db.session.remove()

    ada = browsing.new_page()
    sign_in(ada, FLOUR_MANAGER)
    waiting = ada.get_by_test_id("waiting-for-you")
    invitation = waiting.get_by_test_id("waiting-invitation")
    expect(invitation).to_contain_text("Crumb Bakery invites Millstone Flour Co. to co-market")
    milestone = waiting.get_by_test_id("waiting-milestone")
    expect(milestone).to_contain_text("Print files to the printer")
    expect(milestone).to_contain_text(TITLE)

    # Waiting for others: the offer Ada sent waits on Goldcrest, and on her own company's
    # approvers (a partner manager's proposal is theirs to approve).
    others = ada.get_by_test_id("waiting-for-others")
    expect(others.get_by_test_id("waiting-other").filter(has_text="Tart week")).to_contain_text(
        f"waiting on {FLOUR}'s approvers, {SHORTENING}"
    )

    # Accept the invitation right from the home page.
    invitation.get_by_role("button", name="Accept").click()
    expect(ada.get_by_role("alert")).to_contain_text("Partnership active.")
    ada.goto("/dashboard")
    expect(waiting.get_by_test_id("waiting-invitation")).to_have_count(0)

    # The milestone: its link opens the campaign's milestones; mark it done.
    waiting.get_by_test_id("waiting-milestone").get_by_role("link").click()
    expect(ada).to_have_url(re.compile(rf"/campaigns/{seeded.joint_id}#milestones$"))
    ada.get_by_test_id("milestones").get_by_role("button", name="Mark done").click()
    ada.goto("/dashboard")
    expect(waiting.get_by_test_id("waiting-milestone")).to_have_count(0)

    # The results file she uploaded yesterday and left at its preview: one click back to it.
    waiting.get_by_test_id("waiting-import").get_by_role("link").click()
    expect(ada).to_have_url(f"{live_server.url}/metrics/imports/{import_id}")
    expect(ada.get_by_role("button", name="Discard upload")).to_be_visible()

    browsing.assert_clean()


def test_an_analyst_sees_how_we_are_doing_and_opens_last_quarters_report(live_server, browsing):
    today = date.today()
    seed(live_server, today)
    quarter = last_whole_quarter(today)
    with live_server.app.app_context():
        flour, _ = organization_ids()
        factories.UserFactory(
            organization=db.session.get(Organization, flour),
            email=FLOUR_ANALYST,
            name="Nora Miller",
            role="analyst",
        )
        db.session.commit()
        summer = ch.solo_campaign(
            FLOUR_MANAGER, "Summer loaf week", start=quarter.start, end=quarter.end
        )
        loaf = ch.add_placement(FLOUR_MANAGER, summer, flour, name="Summer mailing")
        ch.commit(FLOUR_MANAGER, summer, 100_000, occurred_on=quarter.start)
        ch.spend(
            FLOUR_MANAGER,
            summer,
            loaf,
            50_000,
            service=(quarter.start, quarter.start + timedelta(days=9)),
            occurred_on=quarter.start + timedelta(days=9),
        )
        db.session.remove()

    nora = browsing.new_page()
    sign_in(nora, FLOUR_ANALYST)
    expect(nora.get_by_test_id("attention")).to_contain_text("Nothing waits for you right now.")

    running = nora.get_by_test_id("campaigns-now").get_by_test_id("campaign-now")
    joint = running.filter(has_text=TITLE)
    expect(joint).to_contain_text(f"with {SHORTENING}")
    expect(joint.get_by_test_id("spend")).to_contain_text("€0.00 spent of €10,000.00 committed")
    expect(joint.get_by_test_id("owed")).to_contain_text("Square on confirmed claims")

    headline = nora.get_by_test_id("last-quarter")
    label = f"Q{(quarter.start.month - 1) // 3 + 1} {quarter.start.year}"
    expect(headline).to_contain_text(f"Joint vs solo, {label}")
    expect(headline.get_by_test_id("tile-spend-solo-EUR")).to_have_text("€500.00")
    headline.get_by_test_id("quarter-report-link").click()
    expect(nora).to_have_url(re.compile(r"/reports\?preset=custom&start=.*&end=.*"))
    expect(nora.locator("#start")).to_have_value(quarter.start.isoformat())
    expect(nora.locator("#end")).to_have_value(quarter.end.isoformat())
    expect(nora.get_by_test_id("tile-spend-solo-EUR")).to_have_text("€500.00")

    browsing.assert_clean()
