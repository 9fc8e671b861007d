"""Issue 15 journey in a real browser: a partner manager uploads a file for one of two
campaigns that both have a "Spring Search"; the preview lists the Meta name that found
nothing and marks the no-break space in a name that did; she remembers the Meta name on a
placement, the file is checked again without errors, and the import stores the rows."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from comarketing.extensions import db
from comarketing.metrics.models import DailyMetric
from comarketing.policy import Role
from tests import campaign_helpers as ch
from tests import factories
from tests.browser.test_campaign_journey import sign_in

pytestmark = pytest.mark.browser

MANAGER = "ada@millstone.example"


def seed(live_server) -> dict[str, int]:
    with live_server.app.app_context():
        flour = factories.OrganizationFactory(name="Millstone Flour Co.", slug="millstone")
        factories.UserFactory(
            organization=flour, email=MANAGER, name="Ada", role=Role.PARTNER_MANAGER.value
        )
        db.session.commit()
        march = ch.solo_campaign(MANAGER, "March", start=date(2026, 3, 1), end=date(2026, 3, 31))
        april = ch.solo_campaign(MANAGER, "April", start=date(2026, 4, 1), end=date(2026, 4, 30))
        ids = {
            "march": march,
            "april": april,
            "march_search": ch.add_placement(MANAGER, march, flour.id, name="Spring Search"),
            "april_search": ch.add_placement(MANAGER, april, flour.id, name="Spring Search"),
            "april_social": ch.add_placement(MANAGER, april, flour.id, name="Spring Social"),
        }
        db.session.remove()
    return ids


def test_remember_a_platform_name_from_the_preview(live_server, browsing, tmp_path):
    ids = seed(live_server)
    export = tmp_path / "meta.csv"
    export.write_text(
        "Day,Campaign name,Impressions,Link clicks\n"
        "2026-04-02,Spring\u00a0Search,1000,12\n"
        "2026-04-02,IG | Spring Bake,800,9\n",
        encoding="utf-8",
    )
    ada = browsing.new_page()
    sign_in(ada, MANAGER)
    ada.get_by_role("link", name="Results", exact=True).click()
    expect(ada.get_by_test_id("how-rows-match")).to_contain_text("How rows find their placement")
    ada.get_by_label("Campaign").select_option(str(ids["april"]))
    ada.get_by_label("Results file").set_input_files(str(export))
    ada.get_by_role("button", name="Upload and preview").click()

    expect(ada.get_by_test_id("upload-campaign")).to_have_text("For April")
    expect(ada.get_by_test_id("confirm-import")).to_be_disabled()
    differing = ada.get_by_test_id("differing-names")
    expect(differing.locator('mark[data-odd="U+00A0 NO-BREAK SPACE"]')).to_have_count(1)
    row = ada.get_by_test_id("unmatched-names").locator('tr[data-name="IG | Spring Bake"]')
    row.get_by_label("Placement for IG | Spring Bake").select_option(str(ids["april_social"]))
    row.get_by_label("Platform of IG | Spring Bake").fill("Instagram")
    row.get_by_role("button", name="Remember").click()

    expect(ada.get_by_test_id("no-errors")).to_be_visible()
    expect(ada.get_by_test_id("unmatched-names")).to_have_count(0)
    ada.get_by_test_id("confirm-import").click()
    expect(ada.get_by_test_id("import-succeeded")).to_be_visible(timeout=20_000)

    ada.goto(f"/campaigns/{ids['april']}/placements/{ids['april_social']}")
    expect(ada.get_by_test_id("platform-name-list")).to_contain_text("IG | Spring Bake")
    with live_server.app.app_context():
        stored = db.session.execute(
            sa.select(DailyMetric.placement_id, DailyMetric.clicks).order_by(DailyMetric.clicks)
        ).all()
        assert [tuple(r) for r in stored] == [(ids["april_social"], 9), (ids["april_search"], 12)]
        db.session.remove()
    assert browsing.console_errors == []
