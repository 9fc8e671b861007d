"""Issue 14 journey in a real browser: money both sides can trust.

Millstone claims an expense with a PDF invoice; Goldcrest's approver opens the proof and
confirms the claim; the settlement says Goldcrest owes Millstone its 40 % share; Goldcrest's
partner manager records the payment; Millstone's approver confirms receipt; the campaign page
and the partner statement (reached from the partners page) both say everyone is square.
"""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect

from comarketing.campaigns import placements
from comarketing.extensions import db
from tests.browser.nav import go_to
from tests.browser.test_campaign_journey import (
    FLOUR,
    FLOUR_APPROVER,
    FLOUR_MANAGER,
    SHORTENING,
    SHORTENING_APPROVER,
    SHORTENING_MANAGER,
    SHORTENING_SHARE_BP,
    eur,
    seed,
    sign_in,
)
from tests.collateral import samples
from tests.offer_helpers import actor

pytestmark = pytest.mark.browser

NEWSLETTER = "Millstone baking newsletter"
INVOICE = samples.pdf("Invoice 2041: newsletter send")
AMOUNT = 100_000  # €1,000.00


def test_a_claim_with_proof_is_confirmed_paid_and_squared(live_server, browsing):
    today = date.today()
    seeded = seed(live_server, today)
    with live_server.app.app_context():
        flour_id = actor(FLOUR_MANAGER).organization_id
        placements.add_placement(
            actor(FLOUR_MANAGER),
            seeded.joint_id,
            placements.PlacementInput("email", flour_id, NEWSLETTER, "", None, None, 150_000),
        )
        db.session.remove()
    campaign_url = f"/campaigns/{seeded.joint_id}"

    # 1. Millstone's partner manager claims the newsletter's cost, with the PDF invoice.
    ada = browsing.new_page()
    sign_in(ada, FLOUR_MANAGER)
    ada.goto(campaign_url)
    form = ada.get_by_test_id("claim-form")
    form.get_by_label("Placement").select_option(label=f"{NEWSLETTER} ({FLOUR})")
    form.get_by_label("Amount").fill("1,000")
    for label in ("Service from", "Service to", "Paid on"):
        form.get_by_label(label).fill(today.isoformat())
    form.get_by_label("Note").fill("Newsletter send")
    form.get_by_label("Proof").set_input_files(
        {"name": "invoice-2041.pdf", "mimeType": "application/pdf", "buffer": INVOICE}
    )
    form.get_by_role("button", name="Claim expense").click()
    expect(ada.get_by_role("alert")).to_contain_text("Expense claimed.")
    expect(ada.get_by_test_id("claim-state")).to_have_text(["pending"])
    # Pending claims are not settled yet.
    expect(ada.get_by_test_id("transfers").get_by_role("listitem")).to_have_text(
        ["Everyone is square."]
    )

    # 2. Goldcrest's approver opens the invoice, then confirms the claim.
    gwen = browsing.new_page()
    sign_in(gwen, SHORTENING_APPROVER)
    gwen.goto(campaign_url)
    proof = gwen.get_by_test_id("claim-proof")
    expect(proof).to_have_text("invoice-2041.pdf")
    with gwen.expect_download() as downloading:
        proof.click()
    download = downloading.value
    assert download.suggested_filename == "invoice-2041.pdf"
    with open(download.path(), "rb") as file:
        assert file.read() == INVOICE
    gwen.get_by_test_id("claims").get_by_role("button", name="Confirm", exact=True).click()
    expect(gwen.get_by_role("alert")).to_contain_text("Claim confirmed.")
    expect(gwen.get_by_test_id("claim-state")).to_have_text(["confirmed"])

    # 3. The settlement: Goldcrest owes Millstone its 40 % share of the €1,000.00.
    owed = AMOUNT * SHORTENING_SHARE_BP // 10_000
    for page in (ada, gwen):
        page.goto(campaign_url)
        expect(page.get_by_test_id("transfers").get_by_role("listitem")).to_have_text(
            [f"{SHORTENING} owes {FLOUR} {eur(owed)}"]
        )

    # 4. Goldcrest's partner manager records the bank transfer.
    sam = browsing.new_page()
    sign_in(sam, SHORTENING_MANAGER)
    sam.goto(f"/partners/{flour_id}/statement")
    expect(sam.get_by_test_id("owed-EUR")).to_have_text(f"You owe {FLOUR} {eur(owed)}")
    sam.goto(campaign_url)
    payment = sam.get_by_test_id("payment-form")
    payment.get_by_label("Paid to").select_option(label=FLOUR)
    payment.get_by_label("Amount").fill("400.00")
    payment.get_by_label("Paid on").fill(today.isoformat())
    payment.get_by_label("Reference").fill("SEPA 2041")
    payment.get_by_role("button", name="Record payment").click()
    expect(sam.get_by_role("alert")).to_contain_text("Payment recorded")
    expect(sam.get_by_test_id("payment-state")).to_have_text(["pending"])
    # Not received yet: the debt stands.
    expect(sam.get_by_test_id("transfers").get_by_role("listitem")).to_have_text(
        [f"{SHORTENING} owes {FLOUR} {eur(owed)}"]
    )

    # 5. Millstone's approver confirms receipt.
    mia = browsing.new_page()
    sign_in(mia, FLOUR_APPROVER)
    mia.goto(campaign_url)
    mia.get_by_role("button", name="Confirm receipt").click()
    expect(mia.get_by_role("alert")).to_contain_text("Payment confirmed as received.")

    # 6. The campaign page and the partner statement say everyone is square, on both sides.
    for page, partner in ((mia, SHORTENING), (sam, FLOUR)):
        page.goto(campaign_url)
        expect(page.get_by_test_id("transfers").get_by_role("listitem")).to_have_text(
            ["Everyone is square."]
        )
        go_to(page, "Partners")
        page.get_by_test_id("active-partners").get_by_test_id("statement-link").click()
        expect(page.get_by_test_id("statement-title")).to_have_text(f"Statement with {partner}")
        expect(page.get_by_test_id("statement-square")).to_have_text("Everyone is square.")
        expect(page.get_by_test_id("owed-EUR")).to_have_text("Everyone is square.")
        line = page.get_by_test_id(f"line-{seeded.joint_id}")
        expect(line.get_by_role("link")).to_have_attribute("href", campaign_url)
    mia.screenshot(path="/tmp/partner_statement.png", full_page=True)
    browsing.assert_clean()
