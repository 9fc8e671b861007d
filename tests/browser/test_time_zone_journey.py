"""Issue 18 journey in a real browser: time zones, public holidays and one date format.

Millstone's admin puts the company in Europe/Berlin with German public holidays on the company
settings page. Goldcrest (London) sends Millstone an offer on Wednesday 23 Dec 2026; Millstone
reviews within two business days, and Christmas (25, 26 Dec) and the weekend do not count, so
the review is due at the end of Monday 28 Dec in Berlin — 23:00 UTC, the instant stored and
enforced. Millstone's approver reads "end of Mon, 28 Dec 2026 (CET)" on the offer page and in
her mail; after choosing New York as her own zone from the user menu, the page shows the same
instant as "Mon, 28 Dec 2026, 18:00 EST".
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from freezegun import freeze_time
from playwright.sync_api import Page, expect

from comarketing.extensions import db
from comarketing.offers.models import OfferRevision
from comarketing.outbox import OutboxMessage
from comarketing.policy import Role
from tests.browser.bakeries import partnered_bakeries
from tests.browser.test_offer_journey import sign_in
from tests.offer_helpers import make_terms, propose_and_send

pytestmark = pytest.mark.browser

FLOUR_ADMIN, FLOUR_APPROVER = "alex@millstone.example", "mia@millstone.example"
SHORTENING_ADMIN = "gale@goldcrest.example"
TITLE = "Christmas cookie swap"
DUE = datetime(2026, 12, 28, 23, 0, tzinfo=UTC)


def seed(live_server) -> tuple[int, int]:
    with live_server.app.app_context():
        flour, shortening = partnered_bakeries(
            [
                ("flour", FLOUR_ADMIN, "Alex Miller", Role.ADMIN),
                ("flour", FLOUR_APPROVER, "Mia Miller", Role.APPROVER),
                ("shortening", SHORTENING_ADMIN, "Gale Gold", Role.ADMIN),
            ],
            time_zone="Europe/London",
            country="GB",
        )
        return flour.id, shortening.id


def open_user_menu_item(page: Page, item: str) -> None:
    page.get_by_test_id("user-menu").click()
    page.get_by_role("link", name=item).click()


def test_a_german_holiday_in_the_review_window_moves_the_due_date(live_server, browsing):
    flour, shortening = seed(live_server)

    # 1. Millstone's admin places the company in Berlin, with Germany's public holidays.
    alex = browsing.new_page()
    sign_in(alex, FLOUR_ADMIN)
    open_user_menu_item(alex, "Company settings")
    expect(alex.get_by_label("Our time zone")).to_have_value("UTC")
    alex.get_by_label("Our time zone").select_option("Europe/Berlin")
    alex.get_by_label("Our country (for public holidays)").select_option(label="Germany")
    alex.get_by_role("button", name="Save").click()
    expect(alex.get_by_role("alert").filter(has_text="Saved.")).to_be_visible()
    expect(alex.get_by_label("Our time zone")).to_have_value("Europe/Berlin")
    expect(alex.get_by_label("Our country (for public holidays)")).to_have_value("DE")

    # 2. Goldcrest's admin sends the offer on Wednesday 23 Dec (approving for Goldcrest by it).
    with live_server.app.app_context(), freeze_time("2026-12-23 09:00:00"):
        offer_id = propose_and_send(
            SHORTENING_ADMIN, [flour, shortening], make_terms([flour, shortening], title=TITLE)
        )
    with live_server.app.app_context():
        due = db.session.scalar(
            sa.select(OfferRevision.review_due_at).where(OfferRevision.offer_id == offer_id)
        )
        mail = db.session.scalar(
            sa.select(OutboxMessage.body).where(
                OutboxMessage.recipient == FLOUR_APPROVER, OutboxMessage.kind == "offer_received"
            )
        )
        db.session.remove()
    assert due == DUE  # the instant enforced: the end of Monday 28 Dec in Berlin
    assert mail is not None and "for your review by end of Mon, 28 Dec 2026 (CET)." in mail

    # 3. Millstone's approver reads the same instant on the offer page, in Berlin time.
    mia = browsing.new_page()
    sign_in(mia, FLOUR_APPROVER)
    mia.goto(f"/offers/{offer_id}")
    expect(mia.get_by_test_id("offer-title")).to_have_text(TITLE)
    expect(mia.get_by_text("review due end of Mon, 28 Dec 2026 (CET)")).to_be_visible()

    # 4. She reads times in New York from now on: the same instant, in her zone.
    open_user_menu_item(mia, "Time zone")
    expect(mia.get_by_label("Show me times in")).to_have_value("")
    expect(mia.get_by_label("Show me times in").locator("option").first).to_have_text(
        "My company's zone (Europe/Berlin)"
    )
    mia.get_by_label("Show me times in").select_option("America/New_York")
    mia.get_by_role("button", name="Save").click()
    expect(mia.get_by_role("alert").filter(has_text="Saved")).to_be_visible()
    mia.goto(f"/offers/{offer_id}")
    expect(mia.get_by_text("review due Mon, 28 Dec 2026, 18:00 EST")).to_be_visible()

    browsing.assert_clean()
