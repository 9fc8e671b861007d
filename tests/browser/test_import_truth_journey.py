"""Issue 15 journey in a real browser: a partner manager uploads a Meta Ads Manager export
written day first (every day <= 12, so the file cannot tell the order), is asked which order
it uses, answers, imports with costs posted, and finds on the Reach & ROI dashboard that the
search placement's missing reach is "not reported" -- with the coverage of every ratio that
needs reach said next to it, not hidden in a zero."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from comarketing.extensions import db
from comarketing.metrics.models import DailyMetric
from tests import campaign_helpers as ch
from tests.browser import test_results_journey as results_journey
from tests.browser.test_campaign_journey import sign_in

pytestmark = pytest.mark.browser

MANAGER = results_journey.MANAGER
HEADER = (
    '"Reporting starts","Reporting ends","Campaign name",Results,"Result indicator",Reach,'
    'Impressions,"Amount spent (EUR)"\n'
)
DAYS = range(2, 9)  # 2-8 March 2026, written dd/mm/yyyy: every day reads both ways
LEAD = "actions:offsite_conversion.fb_pixel_lead"


def meta_export() -> bytes:
    """Social reports its reach; Search (a search-like line) leaves Reach empty, as Meta does
    for a figure it does not report. Social spends EUR 10.00 a day, Search EUR 30.00."""
    lines = [HEADER]
    for d in DAYS:
        day = f"{d:02d}/03/2026"
        lines.append(f'{day},{day},"Spring Bake Social",{d},{LEAD},{d * 100},{d * 150},10.00\n')
        lines.append(f'{day},{day},"Spring Bake Search",{d + 1},{LEAD},,{d * 300},30.00\n')
    return "".join(lines).encode()


def seed(live_server) -> dict[str, int]:
    """The results journey's Millstone scene, with a budget committed so costs can be posted."""
    ids = results_journey.seed(live_server)
    with live_server.app.app_context():
        ch.commit(MANAGER, ids["campaign"], 100_000, occurred_on=date(2026, 3, 1))
        db.session.remove()
    return ids


def test_upload_a_meta_export_answer_the_date_order_and_see_the_coverage(
    live_server, browsing, tmp_path
):
    ids = seed(live_server)
    export = tmp_path / "meta-ads-manager-export.csv"
    export.write_bytes(meta_export())

    ada = browsing.new_page()
    sign_in(ada, MANAGER)
    ada.get_by_role("link", name="Results", exact=True).click()
    ada.get_by_label("Campaign").select_option(str(ids["campaign"]))
    ada.get_by_label("Results file").set_input_files(str(export))
    ada.get_by_role("button", name="Upload and preview").click()
    expect(ada.get_by_role("heading", level=1)).to_have_text("Check the upload")

    # The file cannot tell 02/03 from 03/02: it asks, shows a row both ways, and Import waits.
    expect(ada.get_by_role("heading", name="Day first or month first?")).to_be_visible()
    samples = ada.get_by_test_id("date-order-samples")
    expect(samples).to_contain_text("02/03/2026")
    # Both readings in the one date format (issue 18): 2 March against 3 February.
    expect(samples).to_contain_text("2 Mar 2026")
    expect(samples).to_contain_text("3 Feb 2026")
    expect(ada.get_by_test_id("confirm-import")).to_be_disabled()
    expect(ada.get_by_test_id("import-disabled")).to_contain_text("day first or month first")
    with live_server.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric)) == 0

    ada.get_by_test_id("choose-dmy").click()
    expect(ada.get_by_role("heading", name="Day first or month first?")).to_have_count(0)
    expect(ada.get_by_test_id("no-errors")).to_be_visible()
    # Meta's Results were read by their Result indicator (a lead action): leads, not ignored.
    expect(ada.locator('select[data-column="Results"]')).to_have_value("results")
    ada.get_by_label(re.compile("Post each day.s cost to the budget ledger")).check()
    expect(ada.get_by_test_id("confirm-import")).to_be_enabled()
    ada.get_by_test_id("confirm-import").click()
    expect(ada.get_by_test_id("import-succeeded")).to_be_visible(timeout=20_000)
    expect(ada.get_by_test_id("import-succeeded")).to_contain_text("Imported 14 rows")

    with live_server.app.app_context():
        stored = {
            (m.placement_id, m.day): (m.reach, m.leads)
            for m in db.session.scalars(sa.select(DailyMetric))
        }
    assert stored[(ids["Spring Bake Social"], date(2026, 3, 2))] == (200, 2)
    assert stored[(ids["Spring Bake Search"], date(2026, 3, 12 - 4))] == (None, 9)
    assert len(stored) == 14

    # The dashboard: Search's reach is not reported (not 0), so cost per 1,000 reached rests on
    # Social's spend alone -- EUR 70 of EUR 280, a quarter -- and says so in red.
    ada.goto("/reports?start=2026-03-01&end=2026-03-31")
    expect(ada.get_by_test_id("coverage-explained")).to_be_visible()
    expect(ada.get_by_test_id("notices-EUR")).to_contain_text(
        "Solo campaigns, Cost per 1,000 reached: based on under half of spend: reach reported "
        "for 25 %."
    )
    headline = ada.get_by_test_id("table-headline")
    expect(headline).to_contain_text("not reported for 1 of 2 placements")  # beside the reach
    expect(
        headline.get_by_text("based on under half of spend: reach reported for 25 %")
    ).to_be_visible()
    browsing.assert_clean()
