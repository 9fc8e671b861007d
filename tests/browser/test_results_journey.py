"""Issue 5 journey in a real browser: a partner manager uploads a Google Ads export as Google
writes it (title lines, "Impr.", thousands separators, "Total:" rows), corrects the mapping in
the preview, confirms, watches the import finish on a background worker, and finds the figures
on the placement's page."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from comarketing.extensions import db
from comarketing.policy import Role
from tests import campaign_helpers as ch
from tests import factories
from tests.browser.test_campaign_journey import sign_in
from tests.fixtures.ad_exports.expected import EXPECTED, FOLDER

pytestmark = pytest.mark.browser

MANAGER = "ada@millstone.example"
EXPORT = "google_ads.csv"


def seed(live_server) -> dict[str, int]:
    with live_server.app.app_context():
        flour = factories.OrganizationFactory(name="Millstone Flour Co.", slug="millstone")
        factories.UserFactory(
            organization=flour, email=MANAGER, name="Ada", role=Role.PARTNER_MANAGER.value
        )
        db.session.commit()
        campaign = ch.solo_campaign(
            MANAGER, "Spring Bake", start=date(2026, 3, 1), end=date(2026, 3, 31)
        )
        ids = {
            name: ch.add_placement(MANAGER, campaign, flour.id, name=name)
            for name in ("Spring Bake Search", "Spring Bake Social")
        }
        ids["campaign"] = campaign
        db.session.remove()
    return ids


def test_upload_a_google_ads_export_fix_the_mapping_and_see_the_results(live_server, browsing):
    # The import is a job: the inline backend runs it after the confirming request.
    ids = seed(live_server)
    rows = [r for r in EXPECTED[EXPORT]["rows"] if r["placement"] == "Spring Bake Search"]

    ada = browsing.new_page()
    sign_in(ada, MANAGER)
    ada.get_by_role("link", name="Results", exact=True).click()
    ada.get_by_label("Campaign").select_option(str(ids["campaign"]))
    ada.get_by_label("Results file").set_input_files(str(FOLDER / EXPORT))
    ada.get_by_role("button", name="Upload and preview").click()

    expect(ada.get_by_role("heading", level=1)).to_have_text("Check the upload")
    expect(ada.get_by_text("header on row 3")).to_be_visible()
    # Google's own names mapped themselves.
    expect(ada.locator('select[data-column="Impr."]')).to_have_value("impressions")
    expect(ada.locator('select[data-column="Conv. value"]')).to_have_value("revenue")
    expect(ada.get_by_test_id("skipped-rows")).to_contain_text("18, 19, 20, 21")
    expect(ada.get_by_test_id("no-errors")).to_be_visible()
    # Ada's company books revenue from its shop, not Google's conversion value: ignore it.
    ada.locator('select[data-column="Conv. value"]').select_option("")
    ada.get_by_test_id("apply-mapping").click()
    expect(ada.locator('select[data-column="Conv. value"]')).to_have_value("")
    expect(ada.get_by_test_id("missing-fields")).to_contain_text("Revenue")
    first = ada.get_by_test_id("preview-rows").locator("tbody tr, tr").nth(1)
    expect(first).to_contain_text("Spring Bake Search")
    expect(first).to_contain_text("2,563")

    ada.get_by_test_id("confirm-import").click()
    expect(ada.get_by_test_id("import-succeeded")).to_be_visible(timeout=20_000)
    expect(ada.get_by_test_id("import-succeeded")).to_contain_text(
        f"Imported {len(EXPECTED[EXPORT]['rows'])} rows"
    )
    expect(ada.get_by_test_id("import-succeeded")).to_contain_text("4 summary rows skipped")

    ada.goto(f"/campaigns/{ids['campaign']}")
    ada.get_by_role("link", name="Spring Bake Search").click()
    expect(ada.get_by_test_id("placement-name")).to_have_text("Spring Bake Search")
    impressions = sum(r["impressions"] for r in rows)
    cost = sum(r["cost_minor"] for r in rows)
    expect(ada.get_by_test_id("total-impressions")).to_have_text(f"{impressions:,}")
    expect(ada.get_by_test_id("total-cost")).to_have_text(
        re.compile(re.escape(f"{cost // 100:,}.{cost % 100:02d}"))
    )
    expect(ada.get_by_test_id("total-revenue")).to_have_text(re.compile(r"0\.00"))
    expect(ada.get_by_test_id("total-days")).to_have_text(str(len(rows)))
    ada.goto(f"/campaigns/{ids['campaign']}/placements/{ids['Spring Bake Search']}?month=2026-03")
    expect(ada.locator('input[name="2026-03-02-impressions"]')).to_have_value("2563")

    # The history lists the upload with its hash and outcome.
    ada.get_by_role("link", name="Results", exact=True).click()
    history = ada.get_by_test_id("import-history")
    expect(history).to_contain_text(EXPORT)
    expect(history).to_contain_text("succeeded")
    browsing.assert_clean()
