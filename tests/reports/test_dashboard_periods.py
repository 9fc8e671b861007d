"""The dashboard's period and filter controls (issue 16, part): From/To edits apply without
switching the select to Custom, presets keep applying when the dates were left as shown, the
rule is stated, and a filter that drops one side of the comparison says so."""

from __future__ import annotations

import re

import sqlalchemy as sa

from comarketing.campaigns.models import Campaign
from comarketing.extensions import db
from comarketing.metrics import entry
from tests import campaign_helpers as ch
from tests.offer_helpers import actor
from tests.reports.test_dashboard_figures import PM, START, seeded  # noqa: F401 - fixture

SHOWN = "&shown_start=2025-12-01&shown_end=2026-12-06"  # what the page showed before


def _selected(html: str) -> str:
    select = html[html.index('id="preset"') :]
    return re.search(r'<option value="(\w+)" selected>', select).group(1)


def test_edited_from_and_to_apply_without_choosing_custom(client, login_as, seeded):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    page = client.get("/reports?preset=last_12_months&start=2027-03-01&end=2027-04-30" + SHOWN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200, html[:2000]
    assert "1 Mar 2027 to 30 Apr 2027" in html
    assert _selected(html) == "custom"
    # The seeded campaigns ran in March and April 2027: their figures are shown.
    assert 'data-testid="comparison-EUR"' in html and 'data-testid="no-data"' not in html


def test_a_preset_chosen_with_the_dates_left_as_shown_applies(client, login_as, seeded):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    shown = "&shown_start=2027-03-01&shown_end=2027-04-30"
    html = client.get(
        "/reports?preset=last_month&start=2027-03-01&end=2027-04-30" + shown
    ).get_data(as_text=True)
    assert _selected(html) == "last_month"
    assert "1 Mar 2027 to 30 Apr 2027" not in html
    assert 'data-testid="no-data"' in html  # nothing ran last month (before 2027)


def test_edited_dates_that_make_no_period_are_explained(client, login_as, seeded):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    response = client.get("/reports?preset=this_year&start=2027-05-01&end=2027-04-01" + SHOWN)
    assert response.status_code == 422
    assert "The last day is before the first" in response.get_data(as_text=True)


def test_unreadable_shown_dates_are_no_5xx(client, login_as, seeded):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    response = client.get(
        "/reports?preset=custom&start=2027-03-01&end=2027-04-30&shown_start=x&shown_end=9999-99"
    )
    assert response.status_code == 200
    assert "1 Mar 2027 to 30 Apr 2027" in response.get_data(as_text=True)
    # A NUL character in any parameter is refused before the view (issue 17): the normal
    # error page, naming the parameter.
    refused = client.get("/reports?preset=custom&start=2027-03-01&shown_end=%00")
    assert refused.status_code == 422
    assert "shown_end" in refused.get_data(as_text=True)


def test_the_period_rule_and_preset_dates_are_on_the_page(client, login_as, seeded):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    html = client.get("/reports").get_data(as_text=True)
    rule = html[html.index('data-testid="period-rule"') :]
    assert "last 12 months is the 12 whole months before this one plus this month" in rule
    assert "Last 30 and last 90 days are counted in days" in rule
    assert re.search(r"Last 12 months \(1 \w{3} \d{4} to \d{1,2} \w{3} \d{4}\)", html)


def _campaign_id(app, kind: str, name: str | None = None) -> int:
    with app.app_context():
        query = sa.select(Campaign.id).where(Campaign.kind == kind)
        if name:
            query = query.where(Campaign.name == name)
        found = db.session.scalars(query.order_by(Campaign.id)).first()
        db.session.remove()
    assert found is not None
    return found


PERIOD = "/reports?preset=custom&start=2027-03-01&end=2027-04-30"


def test_a_joint_campaign_filter_says_the_solo_comparison_is_dropped(
    app,
    client,
    login_as,
    seeded,  # noqa: F811
):
    login_as(seeded.a.email("analyst"))
    joint = _campaign_id(app, "joint")
    html = client.get(f"{PERIOD}&campaign={joint}").get_data(as_text=True)
    notice = html[html.index('data-testid="filter-notice"') :]
    assert "The solo comparison is dropped: you chose one joint campaign" in notice


def test_a_solo_campaign_filter_says_the_joint_side_is_dropped(app, client, login_as, seeded):  # noqa: F811
    login_as(seeded.a.email("analyst"))
    solo = _campaign_id(app, "solo", "Alpha solo")
    html = client.get(f"{PERIOD}&campaign={solo}").get_data(as_text=True)
    notice = html[html.index('data-testid="filter-notice"') :]
    assert "The joint side is dropped: you chose one solo campaign (Alpha solo)" in notice


def test_the_partner_filter_keeps_the_solo_comparison_without_a_notice(
    app,
    client,
    login_as,
    seeded,  # noqa: F811
):
    login_as(seeded.a.email("analyst"))
    html = client.get(f"{PERIOD}&partner={seeded.b.id}").get_data(as_text=True)
    assert 'data-testid="filter-notice"' not in html
    headline = html[html.index('data-testid="table-headline"') :]
    assert ">Solo<" in headline and ">Joint<" in headline


def test_the_page_rounds_a_ratio_half_up(app, client, login_as, world):
    """Frequency 9 / 8 = 1.125 exactly: half up shows 1.13 (half even, and Python's float
    format, showed 1.12)."""
    pm = world.a.email(PM)
    with app.app_context():
        solo = ch.solo_campaign(pm, "Tie solo")
        placement = ch.add_placement(pm, solo, world.a.id, channel="email")
        entry.upsert_days(
            actor(pm),
            placement,
            [{"day": START.isoformat(), "impressions": "9", "reach": "8", "cost": "1.00"}],
        )
        db.session.remove()
    login_as(pm)
    html = client.get(PERIOD).get_data(as_text=True)
    headline = html[html.index('data-testid="table-headline"') :]
    headline = headline[: headline.index("</table>")]
    assert ">1.13<" in headline and ">1.12<" not in headline
