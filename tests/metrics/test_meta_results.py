"""Meta's Results column is counted by each row's Result indicator (issue 15): lead actions as
leads, purchases as conversions, several indicators in one file each by its own; an unknown
indicator is asked in the preview, blocks the import until answered and is remembered; a file's
own Leads column is never added to."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import choices, results, runs, uploads
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.models import DailyMetric, MetricImport
from tests import campaign_helpers as ch
from tests.fixtures.ad_exports.expected import FOLDER
from tests.metrics.conftest import (
    PM,
    import_id_from,
    refused_then_run,
    upload,
    upload_campaign,
)
from tests.offer_helpers import actor

HEADER = (
    '"Reporting starts","Reporting ends","Campaign name",Results,"Result indicator",'
    'Impressions,"Amount spent (EUR)"\n'
)


@pytest.fixture
def spring(app, world):
    with app.app_context():
        email = world.a.email(PM)
        campaign = ch.solo_campaign(
            email, "Spring Bake", start=date(2026, 3, 1), end=date(2026, 3, 31)
        )
        for name in ("Spring Bake Search", "Spring Bake Social"):
            ch.add_placement(email, campaign, world.a.id, name=name)
        db.session.remove()
    return email


def _upload(app, email: str, content: bytes, name: str = "meta.csv") -> int:
    with app.app_context():
        return uploads.upload(
            actor(email), io.BytesIO(content), name, campaign_id=upload_campaign(email)
        ).id


def _run(app, email: str, import_id: int) -> str:
    with app.app_context():
        metric_imports.confirm(actor(email), import_id, post_costs=False)
        return runs.run_import(import_id).status


def _stored(app) -> list[tuple[str, str, int, int]]:
    with app.app_context():
        return [
            (str(m.placement_id), m.day.isoformat(), m.leads, m.conversions_hundredths)
            for m in db.session.scalars(
                sa.select(DailyMetric).order_by(DailyMetric.day, DailyMetric.placement_id)
            )
        ]


def _row(day: int, campaign: str, value: str, indicator: str) -> str:
    return f'2026-03-{day:02d},2026-03-{day:02d},"{campaign}",{value},{indicator},1000,10.00\n'


def test_the_768_leads_of_a_meta_export_are_stored_not_zero(app, spring):
    import_id = _upload(app, spring, (FOLDER / "meta_results_leads.csv").read_bytes())
    with app.app_context():
        preview = metric_imports.preview(actor(spring), import_id)
        assert preview.problems == [] and preview.result_indicators == {}
        assert "Leads" not in preview.missing_fields
    assert _run(app, spring, import_id) == "succeeded"
    with app.app_context():
        leads, conversions = db.session.execute(
            sa.select(
                sa.func.sum(DailyMetric.leads), sa.func.sum(DailyMetric.conversions_hundredths)
            )
        ).one()
    assert (leads, conversions) == (768, 3900)  # hundredths


def test_an_explicit_leads_column_is_not_added_to(app, spring):
    """The Meta fixture's Results repeat its Leads column on every row (a lead action)."""
    import_id = _upload(app, spring, (FOLDER / "meta_ads_manager.csv").read_bytes())
    assert _run(app, spring, import_id) == "succeeded"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.sum(DailyMetric.leads))) == 99


def test_an_unknown_indicator_asks_blocks_the_import_and_is_remembered(app, spring):
    content = (
        HEADER
        + _row(2, "Spring Bake Search", "7", "actions:lead")
        + _row(
            2,
            "Spring Bake Social",
            "4",
            "actions:offsite_conversion.fb_pixel_complete_registration",
        )
        + _row(3, "Spring Bake Search", "950", "reach")
        + _row(3, "Spring Bake Social", "31", "actions:link_click")
    ).encode()
    import_id = _upload(app, spring, content)
    registration = "actions:offsite_conversion.fb_pixel_complete_registration"
    with app.app_context():
        preview = metric_imports.preview(actor(spring), import_id)
        assert preview.result_indicators == {registration: None}
        assert preview.problems == [
            f"Choose what Results count where the Result indicator is {registration!r}: "
            "leads, conversions or neither."
        ]
        with pytest.raises(ValidationFailed, match="Choose what Results count"):
            metric_imports.confirm(actor(spring), import_id, post_costs=False)
        assert db.session.get(MetricImport, import_id).status == "preview"
        with pytest.raises(ValidationFailed, match="no Result indicator"):
            choices.choose(actor(spring), import_id, indicators={"actions:other": "leads"})
        with pytest.raises(ValidationFailed, match="leads, conversions or neither"):
            choices.choose(actor(spring), import_id, indicators={registration: "clicks"})
    assert _stored(app) == []

    with app.app_context():
        choices.choose(actor(spring), import_id, indicators={registration: "conversions"})
    assert _run(app, spring, import_id) == "succeeded"
    with app.app_context():
        search, social = sorted(
            db.session.scalars(sa.select(DailyMetric.placement_id).distinct()).all()
        )
    assert _stored(app) == [
        # A row's Results count for its indicator's figure only; the other is not reported.
        (str(search), "2026-03-02", 7, None),
        (str(social), "2026-03-02", None, 400),  # conversions in hundredths
        # Reach and link clicks are not leads or conversions: neither is reported.
        (str(search), "2026-03-03", None, None),
        (str(social), "2026-03-03", None, None),
    ]
    again = _upload(app, spring, content.replace(b",7,", b",8,"))
    with app.app_context():
        preview = metric_imports.preview(actor(spring), again)
        assert preview.result_indicators == {registration: "conversions"}
        assert preview.problems == []


def test_the_question_is_answered_on_the_preview_page(app, client, login_as, spring):
    registration = "actions:offsite_conversion.fb_pixel_complete_registration"
    content = (HEADER + _row(2, "Spring Bake Social", "4", registration)).encode()
    login_as(spring)
    import_id = import_id_from(upload(client, content, "meta.csv"))
    page = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    assert f'data-indicator="{registration}"' in page
    assert 'data-testid="confirm-import" disabled' in page
    client.post(
        f"/metrics/imports/{import_id}/choices",
        data={"indicators": "1", "indicator-0": registration, "meaning-0": ""},
    )
    with app.app_context():
        assert db.session.get(MetricImport, import_id).settings["result_indicators"] == {
            registration: ""
        }
    page = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    assert 'data-testid="confirm-import" disabled' not in page
    bad = client.post(f"/metrics/imports/{import_id}/choices", data={"indicators": "x9"})
    assert bad.status_code == 302


@pytest.mark.parametrize(
    ("line", "column", "value", "reason"),
    [
        (_row(2, "Spring Bake Search", "7", ""), "Result indicator", "", "is missing"),
        (_row(2, "Spring Bake Search", "7.5", "actions:lead"), "Results", "7.5", "whole number"),
        (_row(2, "Spring Bake Search", "-3", "actions:lead"), "Results", "-3", "negative"),
    ],
)
def test_a_bad_result_row_names_its_cell_and_stores_nothing(
    app, spring, line, column, value, reason
):
    content = (HEADER + _row(3, "Spring Bake Search", "5", "actions:lead") + line).encode()
    import_id = _upload(app, spring, content)
    with app.app_context():
        [error] = metric_imports.preview(actor(spring), import_id).errors
    assert (error["row"], error["column"], error["value"]) == (3, column, value)
    assert reason in error["reason"]
    with app.app_context():
        assert refused_then_run(actor(spring), import_id).status == "failed"
    assert _stored(app) == []


def test_results_without_their_indicator_column_stay_ignored():
    from comarketing.metrics.columns import auto_mapping

    assert auto_mapping(["Day", "Campaign name", "Results"]) == ["day", "placement", ""]
    assert auto_mapping(["Day", "Results", "Result indicator"]) == [
        "day",
        "results",
        "result_indicator",
    ]


def test_known_indicators():
    assert results.known_meaning("actions:lead") == "leads"
    assert results.known_meaning("actions:onsite_conversion.lead_grouped") == "leads"
    assert results.known_meaning("actions:offsite_conversion.fb_pixel_lead") == "leads"
    assert results.known_meaning("actions:omni_purchase") == "conversions"
    assert results.known_meaning("actions:offsite_conversion.fb_pixel_purchase") == "conversions"
    assert results.known_meaning("actions:offsite_conversion.custom.123456") == "conversions"
    assert results.known_meaning("actions:link_click") == ""
    assert results.known_meaning("reach") == ""
    assert results.known_meaning("actions:offsite_conversion.fb_pixel_add_to_cart") is None
