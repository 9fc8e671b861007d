"""Reports people hand on (issue 16): print as clean pages, and download all as one workbook."""

from __future__ import annotations

import io

import openpyxl
import pytest
from playwright.sync_api import expect

from tests.browser.test_reports_journey import ANALYST, expect_charts_drawn, seed_demo, sign_in

pytestmark = pytest.mark.browser


def test_the_dashboard_prints_clean_and_downloads_as_one_workbook(live_server, browsing, tmp_path):
    seed_demo(live_server)
    page = browsing.new_page()
    sign_in(page, ANALYST)
    page.goto("/reports")
    expect_charts_drawn(page, currencies=2)

    with page.expect_download() as download_info:
        page.get_by_test_id("export-all-xlsx").click()
    saved = tmp_path / "all.xlsx"
    download_info.value.save_as(saved)
    book = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))
    assert book.sheetnames[:3] == ["About", "Joint vs solo", "By channel"]
    about = {row[0]: row[1] for row in book["About"].values if row[0]}
    assert about["Company"] and about["Filter: Partner"] == "All partners"

    page.emulate_media(media="print")
    expect(page.locator("nav.navbar")).to_be_hidden()
    expect(page.get_by_test_id("report-filters")).to_be_hidden()
    expect(page.get_by_test_id("export-all-xlsx")).to_be_hidden()
    expect(page.get_by_test_id("export-headline-csv")).to_be_hidden()
    expect(page.get_by_test_id("table-headline")).to_be_visible()
    expect(page.locator("canvas.report-chart").first).to_be_visible()
    assert page.pdf()[:4] == b"%PDF"
    browsing.assert_clean()
