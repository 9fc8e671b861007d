"""The exports of TikTok, Pinterest, Amazon (Sponsored Products and Brands), Snapchat, X and
Reddit ads, read as the platforms write them (issue 15): each maps itself, finds its header
and footer lines, and stores exactly every figure of tests/fixtures/ad_exports/
expected_platforms.py. Money in micro-units (X's API spend) is converted exactly, carried in the
import's settings so the preview shows what the run stores, and refused when it is not a whole
number of cents, storing nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from comarketing import hundredths
from comarketing.extensions import db
from comarketing.metrics import columns, reading, runs, uploads
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.models import DailyMetric
from tests.fixtures.ad_exports.expected_platforms import EXPECTED_PLATFORMS, FOLDER
from tests.metrics.conftest import refused_then_run, upload_campaign
from tests.offer_helpers import actor

FILES = sorted(EXPECTED_PLATFORMS)
FIGURES = ("impressions", "reach", "clicks", "leads", "conversions", "revenue_minor", "cost_minor")


def not_reported(stored: Any) -> bool:
    """A figure the export does not report: NULL, never 0."""
    return stored is None


def _upload(app, email: str, name: str, content: bytes | None = None) -> int:
    stream = io.BytesIO(content if content is not None else (FOLDER / name).read_bytes())
    with app.app_context():
        return uploads.upload(actor(email), stream, name, campaign_id=upload_campaign(email)).id


def _stored(app, ids: dict[str, int]) -> list[dict[str, Any]]:
    names = {pid: name for name, pid in ids.items()}
    with app.app_context():
        rows = db.session.scalars(sa.select(DailyMetric)).all()
        return sorted(
            (
                {
                    "placement": names[r.placement_id],
                    "day": r.day.isoformat(),
                    **{field: getattr(r, field) for field in FIGURES if field != "conversions"},
                    # Decimal("5.00") == 5: expected conversions are written as plain numbers.
                    "conversions": hundredths.to_decimal(r.conversions_hundredths),
                }
                for r in rows
            ),
            key=lambda row: (row["day"], row["placement"]),
        )


def _check_row(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert (got["placement"], got["day"]) == (want["placement"], want["day"])
    for field in FIGURES:
        if want[field] is None:
            assert not_reported(got[field]), (want["day"], want["placement"], field, got[field])
        else:
            assert got[field] == want[field], (want["day"], want["placement"], field)


@pytest.mark.parametrize("name", FILES)
def test_each_platform_export_maps_itself_and_stores_every_figure_exactly(app, spring, name):
    email, ids = spring
    spec = EXPECTED_PLATFORMS[name]
    import_id = _upload(app, email, name)
    with app.app_context():
        preview = metric_imports.preview(actor(email), import_id)
        headers = preview.layout.headers
        mapping = {h: field for h, field in zip(headers, preview.mapping, strict=True) if field}
        assert mapping == spec["mapping"]
        units = {h: unit for h, unit in zip(headers, preview.units, strict=True) if unit}
        assert units == spec["units"]
        assert preview.layout.header_row + 1 == spec["header_line"]
        assert (preview.layout.encoding, preview.layout.delimiter) == (
            spec["encoding"],
            spec["delimiter"],
        )
        assert preview.problems == []
        assert preview.errors == []
        assert preview.skipped_rows == spec["skipped_lines"]
        previewed = sorted(
            (str(row["day"]), row["placement_id"], row["impressions"], row["cost_minor"])
            for row in preview.stored_rows
        )
        metric_imports.confirm(actor(email), import_id, post_costs=False)
        result = runs.run_import(import_id)
        assert result.status == "succeeded", (result.message, result.errors[:5])
        assert result.rows_skipped == len(spec["skipped_lines"])
    stored = _stored(app, ids)
    expected = sorted(spec["rows"], key=lambda row: (row["day"], row["placement"]))
    assert len(stored) == len(expected) == 14
    for got, want in zip(stored, expected, strict=True):
        _check_row(got, want)
    # The preview showed what the run stored (micro-unit spend included).
    assert previewed == sorted(
        (row["day"], ids[row["placement"]], row["impressions"], row["cost_minor"]) for row in stored
    )


@pytest.mark.parametrize("name", FILES)
def test_title_lines_above_the_header_are_skipped(tmp_path: Path, name):
    """Exports saved with a report title and a period line above the header (as Google's and
    LinkedIn's are) still find the header, on any of these platforms' column names."""
    spec = EXPECTED_PLATFORMS[name]
    path = tmp_path / name
    title = f'{spec["platform"]} report\n"March 2, 2026 - March 8, 2026"\n\n'
    path.write_bytes(title.encode() + (FOLDER / name).read_bytes())
    layout = reading.detect_layout(path)
    original = reading.detect_layout(FOLDER / name)
    assert layout.header_row == original.header_row + 3
    assert layout.headers == original.headers


MICRO_HEADER = "date,campaign_name,impressions,url_clicks,billed_charge_local_micro\n"


def test_micro_amounts_that_are_not_whole_cents_refuse_the_file_and_store_nothing(app, spring):
    email, ids = spring
    content = (
        MICRO_HEADER
        + "2026-03-02,Spring Bake Search,100,5,1230000\n"  # 123 cents: fine
        + "2026-03-03,Spring Bake Search,100,5,1234567\n"  # 123.4567 cents: never rounded
        + "2026-03-04,Spring Bake Search,100,5,12.5\n"  # not a whole number of micro-units
        + "2026-03-05,Spring Bake Search,100,5,-10000\n"
    ).encode()
    import_id = _upload(app, email, "x_api.csv", content)
    with app.app_context():
        preview = metric_imports.preview(actor(email), import_id)
        assert preview.units == ["", "", "", "", "micro"]
        want = [
            (3, "billed_charge_local_micro", "1234567", "whole number of the campaign currency"),
            (4, "billed_charge_local_micro", "12.5", "not a whole number of micro-units"),
            (5, "billed_charge_local_micro", "-10000", "must not be negative"),
        ]
        got = [(e["row"], e["column"], e["value"], e["reason"]) for e in preview.errors]
        assert [g[:3] for g in got] == [w[:3] for w in want]
        for (_, _, _, reason), (*_, part) in zip(got, want, strict=True):
            assert part in reason
        assert "10,000 micro-units" in got[0][3]
        result = refused_then_run(actor(email), import_id)
        assert result.status == "failed"
        assert [(e["row"], e["value"]) for e in result.errors] == [(w[0], w[2]) for w in want]
    assert _stored(app, ids) == []


def test_the_micro_unit_stays_with_its_column_when_the_mapping_changes(app, spring):
    """The unit is the column's (by its name), kept in the settings: mapping the micro column
    by hand, or a plain column in its place, reads each in its own unit."""
    email, ids = spring
    content = (
        b"date,campaign_name,impressions,url_clicks,spend_micro,spend\n"
        b"2026-03-02,Spring Bake Search,100,5,24790000,24.79\n"
    )
    import_id = _upload(app, email, "x_api.csv", content)
    with app.app_context():
        preview = metric_imports.preview(actor(email), import_id)
        assert preview.units == ["", "", "", "", "micro", ""]
        assert preview.mapping[4:] == ["", "cost"]  # the alias listed first wins
        assert preview.stored_rows[0]["cost_minor"] == 2479
        metric_imports.change_settings(
            actor(email),
            import_id,
            mapping=["day", "placement", "impressions", "clicks", "cost", ""],
            date_order="iso",
            decimal=".",
            placement_id=None,
        )
        metric_imports.confirm(actor(email), import_id, post_costs=False)
        assert runs.run_import(import_id).status == "succeeded"
    [row] = _stored(app, ids)
    assert (row["cost_minor"], row["clicks"]) == (2479, 5)


def test_a_report_title_above_and_a_grand_total_below_are_skipped_end_to_end(app, spring):
    """Reddit's rows under two title lines and a blank line, with a "Grand total" line and a
    copyright footer at the end: the header is found on line 4, both footers are skipped and
    counted, and exactly the 14 days are stored."""
    email, ids = spring
    spec = EXPECTED_PLATFORMS["reddit_ads.csv"]
    body = (FOLDER / "reddit_ads.csv").read_bytes()
    content = (
        b'Reddit Ads report\n"Mar 2, 2026 - Mar 8, 2026"\n\n'
        + body
        + b"Grand total,,,EUR,138530,1680,,,,\xe2\x82\xac1000.00,50,\n"
        + b"\xc2\xa9 2026 Example Reporting\n"
    )
    import_id = _upload(app, email, "reddit_titled.csv", content)
    with app.app_context():
        preview = metric_imports.preview(actor(email), import_id)
        assert preview.layout.header_row + 1 == 4
        assert preview.errors == [] and preview.problems == []
        assert preview.skipped_rows == [19, 20]
        metric_imports.confirm(actor(email), import_id, post_costs=False)
        result = runs.run_import(import_id)
        assert (result.status, result.rows_skipped) == ("succeeded", 2)
    stored = _stored(app, ids)
    expected = sorted(spec["rows"], key=lambda row: (row["day"], row["placement"]))
    for got, want in zip(stored, expected, strict=True):
        _check_row(got, want)


def test_the_preview_page_says_which_column_is_in_micro_units(app, client, login_as, spring):
    email, _ids = spring
    import_id = _upload(app, email, "x_ads_api.csv")
    login_as(email)
    page = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    assert page.count('data-testid="micro-unit"') == 1
    marked = page.split('data-testid="micro-unit"')[0].rsplit("<label", 1)[1]
    assert "billed_charge_local_micro" in marked


@pytest.mark.parametrize(
    "header",
    [
        "Clicks (all)",  # TikTok: likes and profile visits too
        "Pin clicks",  # Pinterest: close-ups too
        "Earned impressions",
        "Earned Impressions",
        "Conversion rate (CVR)",
        "Conversion Rate",
        "7 Day Conversion Rate",
        "Swipe Up Rate",
        "Reach rate",
        "Frequency",
        "CPM",
        "eCPM",
        "eCPSU",
        "Cost per conversion",
        "Cost per 1,000 people reached",
        "Total Advertising Cost of Sales (ACOS)",
        "Total Return on Advertising Spend (ROAS)",
        "Cost Per Click (CPC)",
        "7 Day Advertised SKU Sales",
        "Billed engagements",
        "Engagements",
    ],
)
def test_columns_that_look_like_ours_but_mean_something_else_stay_unmapped(header):
    assert columns.field_for(header) is None


def test_a_remembered_mapping_keeps_reading_micro_units(app, spring):
    """The second export of the same layout takes the saved mapping; its micro column is
    still read in micro-units."""
    email, _ids = spring
    first = _upload(app, email, "x_ads_api.csv")
    with app.app_context():
        metric_imports.confirm(actor(email), first, post_costs=False)
        assert runs.run_import(first).status == "succeeded"
    content = (FOLDER / "x_ads_api.csv").read_bytes().replace(b"109320000", b"109330000")
    second = _upload(app, email, "x_ads_api_again.csv", content)
    with app.app_context():
        preview = metric_imports.preview(actor(email), second)
        assert preview.metric_import.settings["mapping_source"] == "saved"
        assert preview.units[-1] == "micro"
        assert preview.errors == []
        assert preview.stored_rows[0]["cost_minor"] == 10933
