"""The top bar (templates/_nav.html): grouped pages, the company pages under the user menu for
those who may open them, and the current section marked for screen readers."""

from __future__ import annotations

import html as entities
import re

import pytest

from tests.campaign_helpers import joint_campaign


def current_links(html: str) -> list[str]:
    nav = html[html.index("<nav") : html.index("</nav>")]
    return [
        entities.unescape(re.sub(r"<[^>]+>", "", label)).strip()
        for label in re.findall(r'aria-current="page"[^>]*>(.*?)</a>', nav, re.S)
    ]


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/offers", ["Offers"]),
        ("/calendar", ["Calendar"]),
        ("/campaigns", ["Campaigns"]),
        ("/reports", ["Reach & ROI"]),
        ("/products", ["Products"]),
        ("/settings/audit", ["Audit log"]),
        ("/notifications", []),
    ],
)
def test_the_current_section_is_marked(client, login_as, world, path, current):
    login_as(world.a.email("admin"))
    html = client.get(path).get_data(as_text=True)
    assert current_links(html) == current


def test_a_campaign_report_is_under_reports_and_its_page_under_work(app, client, login_as, world):
    with app.app_context():
        campaign = joint_campaign(world)
    login_as(world.a.email("analyst"))
    assert current_links(client.get(f"/campaigns/{campaign.id}/report").get_data(as_text=True)) == [
        "Reach & ROI"
    ]
    page = client.get(f"/campaigns/{campaign.id}").get_data(as_text=True)
    assert 'data-testid="nav-work"' in page and current_links(page) == ["Campaigns"]


@pytest.mark.parametrize("role", ["partner_manager", "approver", "analyst"])
def test_company_pages_are_in_the_user_menu_for_admins_only(client, login_as, world, role):
    login_as(world.a.email(role))
    html = client.get("/dashboard").get_data(as_text=True)
    menu = html[html.index('data-testid="user-menu-items"') :]
    assert "API tokens" in menu and "Sign out" in menu
    assert "Company settings" not in menu and "/settings/users" not in html


def test_an_admin_finds_users_audit_log_and_settings_in_the_user_menu(client, login_as, world):
    login_as(world.a.email("admin"))
    html = client.get("/dashboard").get_data(as_text=True)
    menu = html[html.index('data-testid="user-menu-items"') :]
    for href in ("/settings/organization", "/settings/users", "/settings/audit"):
        assert f'href="{href}"' in menu
