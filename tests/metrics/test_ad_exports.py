"""The exports of Meta, Google, LinkedIn and Microsoft ads (and in-house sheets), read as the
platforms write them, map themselves and store exactly the expected rows; malformed files are
refused with the row, column and reason, storing nothing.

The files and what they must give are in tests/fixtures/ad_exports (see its README)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from comarketing import hundredths
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import choices, runs, uploads
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.models import DailyMetric
from tests.fixtures.ad_exports.expected import EXPECTED, FOLDER
from tests.metrics.conftest import queue_unchecked, upload_campaign
from tests.offer_helpers import actor

PLATFORM_FILES = sorted(name for name, spec in EXPECTED.items() if spec["platform"])
MALFORMED_FILES = sorted(name for name, spec in EXPECTED.items() if not spec["platform"])


def _upload(app, email: str, name: str):
    with app.app_context(), (FOLDER / name).open("rb") as stream:
        return uploads.upload(actor(email), stream, name, campaign_id=upload_campaign(email)).id


def _stored(app, ids: dict[str, int]) -> list[dict]:
    names = {pid: name for name, pid in ids.items()}
    with app.app_context():
        rows = db.session.scalars(sa.select(DailyMetric)).all()
        return sorted(
            (
                {
                    "placement": names[r.placement_id],
                    "day": r.day.isoformat(),
                    "impressions": r.impressions,
                    "reach": r.reach,
                    "clicks": r.clicks,
                    "leads": r.leads,
                    # Decimal("5.00") == 5: expected conversions are written as plain numbers.
                    "conversions": hundredths.to_decimal(r.conversions_hundredths),
                    "revenue_minor": r.revenue_minor,
                    "cost_minor": r.cost_minor,
                }
                for r in rows
            ),
            key=lambda row: (row["day"], row["placement"]),
        )


_NUMERIC_ORDERS = {"%m/%d/%Y": "mdy", "%d/%m/%Y": "dmy", "%d.%m.%Y": "dmy"}


def _asked_order(spec: dict) -> str | None:
    """The order the preview must ask for: numeric dates whose days are all 12 or below."""
    order = _NUMERIC_ORDERS.get(spec["day_format"])
    if order is None or any(int(row["day"][8:]) > 12 for row in spec["rows"]):
        return None
    return order


@pytest.mark.parametrize("name", PLATFORM_FILES)
def test_platform_exports_map_themselves_and_store_the_expected_rows(app, spring, name):
    email, ids = spring
    spec = EXPECTED[name]
    import_id = _upload(app, email, name)
    with app.app_context():
        preview = metric_imports.preview(actor(email), import_id)
        mapping = {
            header: field
            for header, field in zip(preview.layout.headers, preview.mapping, strict=True)
            if field
        }
        assert mapping == spec["mapping"]
        assert preview.layout.header_row + 1 == spec["header_line"]
        asked = _asked_order(spec)
        assert preview.date_order_needed == (asked is not None)
        if asked is not None:  # every day <= 12: the file cannot tell, the user answers
            assert len(preview.date_order_samples) == 2
            choices.choose(actor(email), import_id, date_order=asked)
            preview = metric_imports.preview(actor(email), import_id)
        assert preview.problems == []
        assert preview.errors == []
        assert preview.skipped_rows == spec["skipped_lines"]
        metric_imports.confirm(actor(email), import_id, post_costs=False)
        result = runs.run_import(import_id)
        assert result.status == "succeeded", (result.message, result.errors[:5])
        assert result.rows_skipped == len(spec["skipped_lines"])
    # None: not reported (a column the export lacks, a blank cell, "--"), stored as NULL.
    expected = sorted(
        (dict(row) for row in spec["rows"]),
        key=lambda row: (row["day"], row["placement"]),
    )
    assert _stored(app, ids) == expected


def test_the_same_export_in_csv_and_excel_gives_the_same_rows(app, spring):
    email, ids = spring
    results = []
    for name in ("google_ads.csv", "google_ads_excel.csv"):
        import_id = _upload(app, email, name)
        with app.app_context():
            metric_imports.confirm(actor(email), import_id, post_costs=False)
            assert runs.run_import(import_id).status == "succeeded"
        results.append(_stored(app, ids))
    assert results[0] == results[1] and len(results[0]) == len(EXPECTED["google_ads.csv"]["rows"])


@pytest.mark.parametrize("name", MALFORMED_FILES)
def test_malformed_files_are_refused_with_row_column_and_reason(app, spring, name):
    email, ids = spring
    spec = EXPECTED[name]
    with app.app_context(), (FOLDER / name).open("rb") as stream:
        try:
            campaign_id = upload_campaign(email)
            import_id = uploads.upload(actor(email), stream, name, campaign_id=campaign_id).id
        except ValidationFailed as exc:
            [error] = spec["errors"]
            assert error["row"] is None or f"line {error['row']}" in exc.message
            assert error["reason_contains"].lower() in exc.message.lower()
            return
    with app.app_context():
        preview = metric_imports.preview(actor(email), import_id)
        if preview.problems:
            [error] = spec["errors"]
            assert any(error["reason_contains"].lower() in p.lower() for p in preview.problems)
            return
        with pytest.raises(ValidationFailed, match="Nothing was imported"):
            metric_imports.confirm(actor(email), import_id, post_costs=False)
        queue_unchecked(import_id)  # queued anyway: the run refuses it too
        result = runs.run_import(import_id)
        assert result.status == "failed"
        got = [(e["row"], e["column"], e["value"]) for e in result.errors]
        want = [(e["row"], e["column"], e["value"]) for e in spec["errors"]]
        assert got == want
        for error, expected in zip(result.errors, spec["errors"], strict=True):
            assert expected["reason_contains"].lower() in error["reason"].lower()
        assert result.error_count == len(spec["errors"])
    assert _stored(app, ids) == []
