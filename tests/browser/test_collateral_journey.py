"""Issue 8 journey in a real browser: Alpha's partner manager uploads a co-branded banner to the
joint campaign's library, Beta's approver asks for changes, a second version follows and is
approved, Beta's sales analyst downloads it, and the usage report shows the download."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from comarketing.extensions import db
from tests import factories
from tests.browser.test_campaign_journey import sign_in
from tests.collateral import samples
from tests.collateral.conftest import joint_campaign

pytestmark = pytest.mark.browser


def test_upload_review_new_version_approve_download_and_report(live_server, browsing, tmp_path):
    with live_server.app.app_context():
        world = factories.build_world()
        campaign_id = joint_campaign(world, "Alpha and Beta bake-off")
        db.session.remove()
    first, second = tmp_path / "banner.png", tmp_path / "banner-v2.png"
    first.write_bytes(samples.png("red", (400, 300)))
    second.write_bytes(samples.png("green", (400, 300)))

    alpha = browsing.new_page()
    sign_in(alpha, world.a.email("partner_manager"))
    alpha.goto(f"/campaigns/{campaign_id}")
    alpha.get_by_test_id("collateral-link").click()
    expect(alpha.get_by_role("heading", level=1)).to_have_text("Collateral")
    alpha.get_by_label("Title").fill("Bake-off shelf banner")
    alpha.get_by_label("Audience").select_option("customers")
    alpha.get_by_label("File").set_input_files(str(first))
    alpha.get_by_role("button", name="Upload and send for review").click()
    expect(alpha.get_by_test_id("asset-title")).to_have_text("Bake-off shelf banner")
    expect(alpha.get_by_test_id("not-for-customers")).to_be_visible()
    expect(alpha.get_by_test_id("thumbnail")).to_be_visible()
    asset_url = alpha.url

    beta = browsing.new_page()
    sign_in(beta, world.b.email("approver"))
    beta.goto(asset_url)
    beta.get_by_label("Decision").select_option("changes_requested")
    beta.get_by_label("Comment").fill("Our logo must be on the left")
    beta.get_by_role("button", name="Send decision").click()
    expect(beta.get_by_test_id("asset-status")).to_have_text("Changes requested")

    alpha.reload()
    expect(alpha.get_by_test_id("current-reviews")).to_contain_text("Our logo must be on the left")
    alpha.get_by_test_id("version-form").get_by_label("File").set_input_files(str(second))
    alpha.get_by_label("What changed").fill("Logo moved to the left")
    alpha.get_by_role("button", name="Upload new version").click()
    expect(alpha.get_by_test_id("asset-status")).to_have_text("In review")
    expect(alpha.get_by_test_id("versions")).to_contain_text("Version 2")

    beta.reload()
    beta.get_by_label("Decision").select_option("approved")
    beta.get_by_role("button", name="Send decision").click()
    expect(beta.get_by_test_id("asset-status")).to_have_text("Ready")
    expect(beta.get_by_test_id("not-for-customers")).to_have_count(0)

    sales = browsing.new_page()
    sign_in(sales, world.b.email("analyst"))
    sales.goto(asset_url)
    with sales.expect_download() as info:
        sales.get_by_test_id("download").first.click()
    download = info.value
    assert download.suggested_filename == "banner-v2.png"
    assert download.path().read_bytes() == second.read_bytes()

    alpha.goto(f"/campaigns/{campaign_id}/collateral")
    alpha.get_by_test_id("report-link").click()
    expect(alpha).to_have_url(re.compile(rf"/campaigns/{campaign_id}/collateral/report$"))
    expect(alpha.get_by_test_id("total-downloads")).to_have_text("1")
    row = alpha.get_by_test_id("collateral-usage").locator("tr", has_text="Bake-off shelf banner")
    expect(row.get_by_test_id("downloads")).to_have_text("1")
    expect(alpha.get_by_test_id("ready-unused-share")).to_have_text("0%")
    browsing.assert_clean()
