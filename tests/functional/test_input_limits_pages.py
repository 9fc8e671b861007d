"""Dates at the edges of what the product accepts, through the pages and the API (issue 17,
part 3): field errors for dates out of range and campaigns longer than five years; a campaign
ending on the last allowed day (2100-12-31) renders its page, burn chart, report, calendar and
feed without overflowing; a workbook too wide for the limits is refused before parsing."""

from __future__ import annotations

import html as html_text
import io
import json
import re
from datetime import date, timedelta

import openpyxl
from freezegun import freeze_time

from comarketing.campaigns import milestones
from comarketing.campaigns.models import Campaign
from comarketing.chart_steps import DAILY_UP_TO
from comarketing.extensions import db
from comarketing.form_base import NUL_MESSAGE
from comarketing.metrics import entry
from tests.campaign_helpers import PM, add_placement, commit, solo_campaign, spend
from tests.functional.test_campaign_pages import count, field_errors, signed_in
from tests.offer_helpers import actor

VALID = {
    "name": "Solo spring",
    "start_date": "2027-03-01",
    "end_date": "2027-03-31",
    "currency": "EUR",
    "total_budget": "5,000",
}


def test_dates_out_of_range_and_campaigns_over_five_years_get_field_errors(app, world):
    client = signed_in(app, world.a.email(PM))
    for change, name, message in (
        ({"start_date": "1999-12-31"}, "start_date", "between 1 Jan 2000 and 31 Dec 2100"),
        ({"end_date": "2101-01-01"}, "end_date", "between"),
        ({"start_date": "9999-12-30", "end_date": "9999-12-31"}, "start_date", "between"),
        ({"end_date": "2032-03-01"}, "end_date", "at most 5 years"),
    ):
        response = client.post("/campaigns/new", data={**VALID, **change})
        assert response.status_code in (200, 422), change
        errors = field_errors(response.get_data(as_text=True), name)
        assert len(errors) == 1 and message in errors[0], (change, errors)
    page = client.get("/campaigns/new").get_data(as_text=True)
    assert 'min="2000-01-01"' in page and 'max="2100-12-31"' in page


def test_a_nul_in_a_forms_field_is_refused_next_to_the_field(app, world):
    """Issue 17: a NUL in a field a form declares is that form's field error, shown next to
    the field with the form again; nothing is stored. Elsewhere the guard answers 422."""
    client = signed_in(app, world.a.email(PM))
    before = count(app, Campaign)
    response = client.post("/campaigns/new", data={**VALID, "name": "Spring\x00 picnic"})
    assert response.status_code in (200, 422)
    errors = field_errors(response.get_data(as_text=True), "name")
    assert errors == [NUL_MESSAGE]
    assert count(app, Campaign) == before
    # A nested or hand-read field keeps the guard's 422 naming it.
    refused = client.post("/campaigns/new", data={**VALID, "parties-0-x": "a\x00"})
    assert refused.status_code == 422
    assert "parties-0-x" in refused.get_data(as_text=True)


def test_the_api_refuses_dates_out_of_range_naming_the_field(app, world):
    from comarketing.api import services as api_tokens

    with app.app_context():
        _, token = api_tokens.create_token(
            actor(world.a.email(PM)), name="t", scope="read", days=30
        )
        db.session.commit()
    response = app.test_client().get(
        "/api/v1/reports/dashboard?start=9999-01-01&end=9999-12-31",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["field"] in ("start", "end") and "2100" in error["errors"][0]["message"]


def test_a_campaign_ending_on_the_last_allowed_day_renders_everywhere(app, world):
    with app.app_context():
        campaign_id = solo_campaign(
            world.a.email(PM), "Far future", start=date(2096, 1, 1), end=date(2100, 12, 31)
        )
        placement = add_placement(world.a.email(PM), campaign_id, world.a.id)
        milestones.add_milestone(
            actor(world.a.email(PM)),
            campaign_id,
            kind="launch",
            title="Last day",
            owner_organization_id=world.a.id,
            due_on=date(2100, 12, 31),
        )
        commit(world.a.email(PM), campaign_id, 100_000, occurred_on=date(2096, 1, 1))
        db.session.commit()
    with freeze_time("2100-12-31 12:00:00"):
        with app.app_context():
            spend(world.a.email(PM), campaign_id, placement, 1_000, occurred_on=date(2100, 12, 31))
            db.session.commit()
        client = signed_in(app, world.a.email(PM))
        page = client.get(f"/campaigns/{campaign_id}")
        assert page.status_code == 200
        # Five years of days drawn as 60 month-end points.
        assert re.search(
            r'&#34;step&#34;: &#34;month&#34;|"step": ?"month"', page.get_data(as_text=True)
        )
        for url in (
            f"/campaigns/{campaign_id}/report",
            "/calendar?month=2100-12",
            "/calendar?month=9999-12",
            "/reports?start=2100-12-01&end=2100-12-31",
            "/reports?preset=this_month",
        ):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        refused = client.get("/reports?start=2100-12-01&end=2101-01-31")
        assert refused.status_code in (200, 422)
        assert "31 Dec 2100" in refused.get_data(as_text=True)
        created = client.post("/calendar/feed").get_data(as_text=True)
        feed_url = re.search(r'value="http://localhost(/calendar/feed/[^"]+\.ics)"', created)
        feed = app.test_client().get(feed_url.group(1))
        assert feed.status_code == 200
        assert b"DTEND;VALUE=DATE:21010101" in feed.get_data()


def test_a_workbook_wider_than_200_columns_is_refused_before_parsing(app, world):
    from tests.metrics.conftest import upload

    with app.app_context():
        campaign_id = solo_campaign(world.a.email(PM), "Results", start=date(2027, 3, 1))
        add_placement(world.a.email(PM), campaign_id, world.a.id)
        db.session.commit()
    book = openpyxl.Workbook()
    book.active.append([f"Column {i}" for i in range(250)])
    buffer = io.BytesIO()
    book.save(buffer)
    client = signed_in(app, world.a.email(PM))
    response = upload(client, buffer.getvalue(), "wide.xlsx", campaign_id=campaign_id)
    assert response.status_code == 422
    assert "more than 200 columns" in response.get_data(as_text=True)


def test_a_long_campaigns_report_page_shows_its_last_days_and_its_files_every_day(app, world):
    """The page's size does not grow with the campaign's length: past DAILY_UP_TO days with
    results, the daily chart and table show the last of them and say so; files keep every day."""
    first = date(2027, 1, 1)
    with app.app_context():
        campaign_id = solo_campaign(
            world.a.email(PM), "Long run", start=first, end=date(2027, 12, 31)
        )
        placement = add_placement(world.a.email(PM), campaign_id, world.a.id)
        days = [
            {
                "day": (first + timedelta(days=i)).isoformat(),
                **dict.fromkeys(("impressions", "reach", "clicks", "leads", "conversions"), "1"),
                "revenue": "1.00",
                "cost": "1.00",
            }
            for i in range(DAILY_UP_TO + 30)
        ]
        entry.upsert_days(actor(world.a.email(PM)), placement, days)
        db.session.commit()
    client = signed_in(app, world.a.email("analyst"))
    html = client.get(f"/campaigns/{campaign_id}/report").get_data(as_text=True)
    assert f"the last {DAILY_UP_TO} of {DAILY_UP_TO + 30} days" in html
    assert f"The last {DAILY_UP_TO} of {DAILY_UP_TO + 30:,} days with results" in html
    assert f"Day by day ({DAILY_UP_TO} days shown)" in html
    data = json.loads(
        html_text.unescape(
            re.search(r'id="campaign-report-data">(.*?)</script>', html, re.S).group(1)
        )
    )
    assert len(data["daily"]["labels"]) == DAILY_UP_TO
    assert data["daily"]["labels"][-1] == (first + timedelta(days=DAILY_UP_TO + 29)).isoformat()
    rows = client.get(f"/campaigns/{campaign_id}/report/daily.csv").get_data(as_text=True)
    assert len(rows.strip().splitlines()) == 1 + DAILY_UP_TO + 30


def test_a_long_running_campaigns_burn_down_table_shows_its_last_days(app, world):
    """The burn-down has a row per day from the start: past DAILY_UP_TO days the page's table
    shows the last of them and says so; its files keep every day."""
    today = date.today()
    with app.app_context():
        campaign_id = solo_campaign(
            world.a.email(PM),
            "Long burn",
            start=today - timedelta(days=DAILY_UP_TO + 49),
            end=today + timedelta(days=10),
        )
        db.session.commit()
    days = DAILY_UP_TO + 50  # from the start to today
    client = signed_in(app, world.a.email("analyst"))
    html = client.get(f"/campaigns/{campaign_id}/report").get_data(as_text=True)
    assert f"Burn-down by day ({DAILY_UP_TO})" in html
    assert f"The last {DAILY_UP_TO} of {days:,} days: the CSV and Excel files" in html
    rows = client.get(f"/campaigns/{campaign_id}/report/burndown.csv").get_data(as_text=True)
    assert len(rows.strip().splitlines()) == 1 + days
