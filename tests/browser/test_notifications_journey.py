"""An analyst's notifications in Chromium: grouped by campaign and kind, filtered, one group
marked read, then budget alarms opted into by daily digest."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from comarketing import notifications
from comarketing.extensions import db
from comarketing.notifications import About, Recipient
from tests import factories

ANALYST = "analyst@a.example"


def seed(app) -> None:
    with app.app_context():
        world = factories.build_world()
        me = [Recipient(world.a.user_ids["analyst"], ANALYST)]
        for campaign_id, name in ((1, "Spring baking week"), (2, "Holiday cookies")):
            for goal in ("reach", "leads"):
                notifications.notify(
                    me,
                    kind="goal_reached",
                    title=f"Goal reached: {name} hit its {goal} goal",
                    body="",
                    link=f"/campaigns/{campaign_id}/report",
                    about=About("campaign", campaign_id, name),
                )
        notifications.notify(
            me,
            kind="collateral_request",
            title="Material requested: recipe card",
            body="",
            link="/campaigns/1/collateral#requests",
            about=About("campaign", 1, "Spring baking week"),
        )
        db.session.commit()


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(factories.TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def test_an_analyst_filters_groups_marks_one_read_and_opts_into_a_digest(live_server, browsing):
    seed(live_server.app)
    page = browsing.new_page()
    sign_in(page, ANALYST)

    page.goto("/notifications")
    group_cards = page.get_by_test_id("notification-group")
    expect(group_cards).to_have_count(3)
    expect(group_cards.first).to_contain_text("Spring baking week")
    expect(group_cards.first).to_contain_text("1 unread")

    filters = page.get_by_test_id("notification-filters")
    filters.get_by_label("Kind").select_option("goal_reached")
    filters.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"kind=goal_reached"))
    expect(group_cards).to_have_count(2)

    holiday = group_cards.filter(has_text="Holiday cookies")
    expect(holiday).to_contain_text("2 unread")
    holiday.get_by_role("button", name="Mark read").click()
    expect(group_cards).to_have_count(3)  # back on the unfiltered page
    expect(page.get_by_test_id("group-unread")).to_have_count(2)
    expect(
        group_cards.filter(has_text="Holiday cookies").get_by_test_id("group-unread")
    ).to_have_count(0)

    page.get_by_role("link", name="Preferences").click()
    form = page.get_by_test_id("notification-preferences")
    alarms = form.get_by_label("A campaign has spent 80% or 100% of its commitments")
    expect(alarms).to_have_value("off")
    alarms.select_option("digest")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Notification preferences saved.")
    expect(alarms).to_have_value("digest")
    browsing.assert_clean()
