"""Issue 6 journey in a real browser: the flour company's analyst opens "Reach & ROI" on the
demo data (a year of solo and joint campaigns, one in US dollars), reads joint vs solo, narrows
the period with a preset and then with custom dates, sees the charts drawn each time, and
downloads the headline table as an Excel file whose figures match the dashboard's own.
"""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from comarketing.accounts.models import User
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.dates_format import format_date
from comarketing.demo import seed
from comarketing.demo.companies import DEMO_PASSWORD
from comarketing.extensions import db
from comarketing.reports import services as reports
from comarketing.reports.people import DAILY_LABEL as DAILY
from comarketing.reports.tables import half_up

pytestmark = pytest.mark.browser

ANALYST = "insights@millstone.example"
USD_CAMPAIGN = "US launch: bread flour online"


def seed_demo(live_server) -> tuple[date, date]:
    """The whole demo, as `flask seed-demo` writes it; returns the dollar campaign's dates."""
    with live_server.app.app_context():
        for _ in seed():
            pass
        start, end = db.session.execute(
            sa.select(Campaign.start_date, Campaign.end_date).where(Campaign.name == USD_CAMPAIGN)
        ).one()
        db.session.remove()
    return start, end


def sign_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def headline(page: Page) -> dict[tuple[str, str], dict[str, str]]:
    """The "Joint vs solo" table as shown: (currency, kind) -> column label -> cell text."""
    table = page.get_by_test_id("table-headline")
    cells: list[list[str]] = table.evaluate(
        "t => [...t.rows].map(r => [...r.cells].map(c => c.innerText.trim()))"
    )
    labels, rows = cells[0], cells[1:]
    return {(row[0], row[1]): dict(zip(labels, row, strict=True)) for row in rows}


def expect_charts_drawn(page: Page, currencies: int) -> None:
    """Three charts per currency, each drawn by Chart.js into its canvas."""
    canvases = page.locator("canvas.report-chart")
    expect(canvases).to_have_count(3 * currencies)
    expect(page.locator('canvas.report-chart[data-drawn="true"]')).to_have_count(3 * currencies)
    drawn = canvases.evaluate_all(
        "cs => cs.map(c => Boolean(window.Chart.getChart(c)) && c.width > 0 && c.height > 0)"
    )
    assert drawn == [True] * (3 * currencies)


def show(page: Page) -> None:
    page.get_by_test_id("apply-filters").click()


def preset_dates(today: date) -> tuple[date, date]:
    period = reports.preset_period(reports.DEFAULT_PRESET, today)
    return period.start, period.end


def dashboard_figures(live_server, start: date, end: date) -> Any:
    """The dashboard's own figures for a period, computed in the app (not through the page)."""
    with live_server.app.app_context():
        actor = Actor(db.session.scalar(sa.select(User).where(User.email == ANALYST)))
        board = reports.dashboard(actor, reports.Period(start, end))
        db.session.remove()
    return {c.currency: c for c in board.comparisons}


def test_read_joint_vs_solo_change_the_period_and_download_the_figures(
    live_server, browsing, tmp_path
):
    usd_start, usd_end = seed_demo(live_server)
    page = browsing.new_page()
    sign_in(page, ANALYST)

    page.get_by_role("link", name="Reach & ROI").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reach and ROI: joint vs solo")
    # The last 12 months: the joint campaigns' story in euros, the dollar test on its own.
    expect(page.locator("#preset")).to_have_value("last_12_months")
    expect(page.get_by_test_id("reading-EUR")).to_contain_text(
        re.compile(
            r"Per euro of your own spend joint campaigns reached \d+\.\dx as many as solo "
            r"campaigns \(daily reach, summed\); on the campaigns' whole spend \d+\.\dx"
        )
    )
    # Both multipliers side by side, each with its campaigns and 90 % interval (issue 16).
    today = date.today()
    eur = dashboard_figures(live_server, *preset_dates(today))["EUR"].measured
    for key, compared in (("own", eur.on_your_spend), ("whole", eur.on_whole_spend)):
        card = page.get_by_test_id(f"multiplier-{key}-EUR")
        expect(card.get_by_test_id(f"value-{key}-EUR")).to_have_text(
            f"{half_up(compared.value, 2)}x"
        )
        low, high = (f"{half_up(end, 2)}x" for end in compared.interval)
        expect(card.get_by_test_id(f"interval-{key}-EUR")).to_contain_text(
            f"90 % interval: {low} to {high}"
        )
        joint, solo = compared.campaigns
        expect(card).to_contain_text(f"Campaigns: joint {joint}, solo {solo}.")
    expect(page.get_by_test_id("tile-roi-EUR")).to_be_visible()
    expect(page.get_by_test_id("currencies-note")).to_contain_text("EUR, USD")
    # No demo placement has a flight reach yet: the figure is daily reach summed, and says so.
    expect(page.get_by_test_id("tile-people-EUR")).to_contain_text(DAILY)
    expect(page.get_by_test_id("tile-people-EUR")).to_contain_text(
        "Joint: daily reach summed for 100 % of spend"
    )
    expect(page.get_by_test_id("missing-USD")).to_contain_text("No joint campaign")
    expect_charts_drawn(page, currencies=2)
    year = headline(page)
    assert year[("USD", "Solo")]["Campaigns"] == "1"
    assert int(year[("EUR", "Joint")]["Campaigns"]) >= 4

    # A preset: the last 90 days hold no dollar campaign, and less of everything in euros.
    page.locator("#preset").select_option("last_90_days")
    expect(page.locator("#start")).to_have_value("")  # the preset's own dates apply
    show(page)
    expect(page).to_have_url(re.compile(r"preset=last_90_days"))
    expect(page.get_by_test_id("comparison-EUR")).to_be_visible()
    expect(page.get_by_test_id("comparison-USD")).to_have_count(0)
    expect(page.get_by_test_id("currencies-note")).to_have_count(0)
    expect_charts_drawn(page, currencies=1)
    quarter = headline(page)
    assert ("USD", "Solo") not in quarter
    assert (
        quarter[("EUR", "Joint")]["Own spend (ledger)"]
        != year[("EUR", "Joint")]["Own spend (ledger)"]
    )
    assert quarter[("EUR", "Solo")][DAILY] != year[("EUR", "Solo")][DAILY]

    # Custom dates: exactly the weeks of the dollar campaign. Editing From/To is enough: the
    # Period select switches itself to Custom (issue 16).
    page.locator("#start").fill(usd_start.isoformat())
    page.locator("#end").fill(usd_end.isoformat())
    expect(page.locator("#preset")).to_have_value("custom")
    show(page)
    expect(page.locator("#preset")).to_have_value("custom")
    expect(page).to_have_url(re.compile(rf"start={usd_start.isoformat()}&end={usd_end}"))
    expect(page.get_by_text(f"{format_date(usd_start)} to {format_date(usd_end)}")).to_be_visible()
    expect(page.get_by_test_id("comparison-USD")).to_be_visible()
    expect_charts_drawn(page, currencies=2)
    shown = headline(page)

    # The headline table as an Excel file, for the same custom period.
    with page.expect_download() as download_info:
        page.get_by_test_id("export-headline-xlsx").click()
    download = download_info.value
    assert download.suggested_filename == (
        f"comarketing-joint-vs-solo-{usd_start.isoformat()}-{usd_end.isoformat()}.xlsx"
    )
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    rows = list(
        openpyxl.load_workbook(io.BytesIO(saved.read_bytes())).active.iter_rows(values_only=True)
    )
    labels = list(rows[0])
    sheet = {(row[0], row[1]): dict(zip(labels, row, strict=True)) for row in rows[1:]}
    expected = dashboard_figures(live_server, usd_start, usd_end)
    usd_solo = sheet[("USD", "Solo")]
    # Numbers stay numbers, and they are the dashboard's figures.
    assert usd_solo[DAILY] == expected["USD"].solo.reach > 0
    assert usd_solo["Campaigns"] == 1
    assert f"{usd_solo[DAILY]:,}" == shown[("USD", "Solo")][DAILY]
    assert sheet[("EUR", "Joint")]["Impressions"] == expected["EUR"].joint.impressions

    # Everything as one workbook: "About", then a sheet per table, the multipliers included.
    with page.expect_download() as download_info:
        page.get_by_test_id("export-all-xlsx").click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    book = openpyxl.load_workbook(io.BytesIO(saved.read_bytes()))
    assert book.sheetnames == [
        "About",
        "Joint vs solo",
        "By channel",
        "By partner",
        "By month",
        "Deduplicated reach",
    ]
    kinds = [row[1] for row in book["Joint vs solo"].iter_rows(min_row=2, values_only=True)]
    assert "Reach multiplier on your spend (joint / solo)" in kinds
    assert "Reach multiplier on the campaigns' whole spend (joint / solo)" in kinds

    browsing.assert_clean()
