"""Following the top bar the way a person does: below 1200 px the toggler opens it first, and
grouped pages (Work, Partners) sit in a menu that opens before its link can be clicked."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

GROUPS = {
    "Offers": "Work",
    "Campaigns": "Work",
    "Calendar": "Work",
    "Collateral": "Work",
    "Partners": "Partners",
    "Products": "Partners",
}


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main")


# The bar is laid out in full from this width (Bootstrap's navbar-expand-xl).
FULL_WIDTH = 1200


def unfold(page: Page) -> None:
    """Open the folded bar (below 1200 px); nothing to do when it is laid out in full.

    Decided by the viewport's width, not by whether the toggler shows: until the stylesheet
    applies, the toggler of a full-width bar shows too, and a click then waits for it in vain
    (a CI run at 1280 px once clicked it that way)."""
    viewport = page.viewport_size
    toggler = page.get_by_test_id("nav-toggler")
    folded = toggler.is_visible() if viewport is None else viewport["width"] < FULL_WIDTH
    if folded and toggler.get_attribute("aria-expanded") != "true":
        toggler.click()
        # Until Bootstrap's collapse has finished opening ("collapsing" -> "collapse show"),
        # the bar's items still move: a click on one then can miss (seen once on the user menu).
        expect(page.locator("#mainnav")).to_have_class(re.compile(r"(^|\s)show(\s|$)"))


def go_to(page: Page, label: str) -> None:
    """Click the navigation's link ``label``, opening its group first."""
    unfold(page)
    nav = main_nav(page)
    group = GROUPS.get(label)
    if group:
        toggle = nav.get_by_role("button", name=group, exact=True)
        if toggle.get_attribute("aria-expanded") != "true":
            toggle.click()
    link = nav.get_by_role("link", name=label, exact=True)
    expect(link).to_be_visible()
    link.click()


def open_user_menu(page: Page) -> Locator:
    """Open the user menu and return it (Sign out, API tokens, company pages)."""
    unfold(page)
    page.get_by_test_id("user-menu").click()
    items = page.get_by_test_id("user-menu-items")
    expect(items).to_be_visible()
    return items
