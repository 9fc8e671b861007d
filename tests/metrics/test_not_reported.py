"""Missing is not zero (issue 15), on the write side: a blank cell, "--", "-", a dash or a column
the file lacks is stored as NULL (not reported), a real 0 stays 0, fractional conversions are
stored exactly in hundredths, and every refusal names the value and leaves the database as it
was — by file, by the grid and by the service the API uses."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from comarketing.extensions import db
from comarketing.metrics import entry
from comarketing.metrics.models import DailyMetric, MetricImport, MetricRollup
from tests.metrics.conftest import PM, import_id_from, refused_then_run, stored_days, upload
from tests.metrics.test_write_path import confirm, day
from tests.offer_helpers import actor


def stored(app) -> list[tuple]:
    with app.app_context():
        return stored_days()


def imports_and_days(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count(MetricImport.id))) or 0,
            db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric)) or 0,
        )


def test_empty_cells_dashes_and_absent_columns_are_not_reported_and_zero_stays_zero(
    app, client, login_as, scene
):
    login_as(scene.world.a.email(PM))
    # No reach column at all (a Google Ads report); blank, "--", "-", em and en dashes.
    text = (
        "date,placement,impressions,clicks,leads,conversions,revenue,cost\n"
        "2027-03-01,Alpha newsletter,1000,0,,2.47,--,12.00\n"
        "2027-03-02,Alpha newsletter,0,-,\u2014,5.00,0.00,\u2013\n"
    )
    import_id = import_id_from(upload(client, text.encode()))
    preview = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    rows = preview.split('data-testid="preview-rows"')[1].split("</table>")[0]
    assert rows.count("not reported") == 7  # reach twice, and the five blank or dashed cells
    assert 'data-testid="missing-fields"' in preview and "Reach" in preview
    assert confirm(client, import_id).status == "succeeded"
    assert stored(app) == [
        ("2027-03-01", 1000, None, 0, None, 247, None, 1200),
        ("2027-03-02", 0, None, None, None, 500, 0, None),
    ]
    with app.app_context():
        month = db.session.scalars(sa.select(MetricRollup)).one()
        assert (month.days, month.reach_days, month.impressions_days, month.leads_days) == (
            2,
            0,
            2,
            0,
        )
        assert (month.conversions_hundredths, month.conversions_days) == (747, 2)
        assert (month.cost_minor, month.cost_days, month.revenue_days) == (1200, 1, 1)


def test_a_file_with_only_day_and_placement_is_not_called_bad(app, client, login_as, scene):
    login_as(scene.world.a.email(PM))
    import_id = import_id_from(upload(client, b"date,placement\n2027-03-01,Alpha newsletter\n"))
    preview = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    assert 'data-testid="no-errors"' in preview
    assert confirm(client, import_id).status == "succeeded"
    assert stored(app) == [("2027-03-01", *([None] * 7))]


@pytest.mark.parametrize(
    ("decimal", "cell", "hundredths"),
    [(".", "2.47", 247), (".", "5.00", 500), (".", "0.5", 50), (",", '"1.234,5"', 123450)],
)
def test_fractional_conversions_are_stored_exactly(
    app, client, login_as, scene, decimal, cell, hundredths
):
    login_as(scene.world.a.email(PM))
    text = f"date,placement,conversions\n2027-03-01,Alpha newsletter,{cell}\n"
    if decimal == ",":
        text = f"date;placement;conversions\n01.03.2027;Alpha newsletter;{cell.strip(chr(34))}\n"
    import_id = import_id_from(upload(client, text.encode()))
    if decimal == ",":
        client.post(
            f"/metrics/imports/{import_id}/settings",
            data={
                "columns": "3",
                "column-0": "day",
                "column-1": "placement",
                "column-2": "conversions",
                "date_order": "dmy",
                "decimal": ",",
                "placement_id": "",
            },
        )
    assert confirm(client, import_id).status == "succeeded"
    assert [row[5] for row in stored(app)] == [hundredths]


@pytest.mark.parametrize(
    ("column", "cell", "reason"),
    [
        ("conversions", "2.471", "more than two decimals"),
        ("conversions", "-1.5", "must not be negative"),
        ("conversions", "12%", "percentage"),
        ("conversions", "abc", "not a number"),
        ("clicks", "2.5", "whole number"),  # other counts stay whole numbers
        ("leads", "0.01", "whole number"),
    ],
)
def test_bad_figures_in_a_file_name_the_value_and_store_nothing(
    app, client, login_as, scene, column, cell, reason
):
    pm = scene.world.a.email(PM)
    with app.app_context():
        entry.upsert_days(actor(pm), scene.a_placement, [day("2027-03-05")])
    before, imports_before = stored(app), imports_and_days(app)[0]
    login_as(pm)
    text = (
        f"date,placement,{column}\n"
        "2027-03-01,Alpha newsletter,1\n"
        f"2027-03-02,Alpha newsletter,{cell}\n"
    )
    import_id = import_id_from(upload(client, text.encode()))
    assert confirm(client, import_id).status == "preview"  # refused: Import is disabled
    with app.app_context():
        failed = refused_then_run(actor(pm), import_id)
        assert failed.status == "failed"
        [error] = failed.errors
        assert (error["row"], error["value"]) == (3, cell)
        assert error["column"].lower() == column and reason in error["reason"]
    assert stored(app) == before  # the good row was not written either
    assert imports_and_days(app)[0] == imports_before + 1  # the failed import, kept as history


def test_the_service_stores_none_and_empty_text_as_not_reported(app, scene):
    pm = scene.world.a.email(PM)
    with app.app_context():
        entry.upsert_days(
            actor(pm),
            scene.a_placement,
            [day("2027-03-01", reach="", conversions="2.47", revenue=None)],  # type: ignore[arg-type]
        )
        again = entry.upsert_days(
            actor(pm),
            scene.a_placement,
            [day("2027-03-01", reach="", conversions="2.47", revenue="")],
        )
        assert again.rows_unchanged == 1  # NULL = NULL: the same day again changes nothing
    assert stored(app) == [("2027-03-01", 1000, None, 20, 2, 247, None, 1000)]


@pytest.mark.parametrize(
    ("values", "column", "reason"),
    [
        ({"conversions": "1.005"}, "conversions", "more than two decimals"),
        ({"reach": "1001"}, "reach", "cannot be above impressions"),
        ({"clicks": "1.5"}, "clicks", "whole number"),
    ],
)
def test_bad_days_through_the_service_change_nothing(app, scene, values, column, reason):
    pm = scene.world.a.email(PM)
    with app.app_context():
        entry.upsert_days(actor(pm), scene.a_placement, [day("2027-03-01", reach="")])
    before, counts = stored(app), imports_and_days(app)
    with app.app_context(), pytest.raises(entry.RowsInvalid) as refused:
        entry.upsert_days(actor(pm), scene.a_placement, [day("2027-03-01", **values)])
    [error] = refused.value.errors
    assert error["column"].lower() == column and reason in error["reason"]
    assert (stored(app), imports_and_days(app)) == (before, counts)


def test_reach_above_impressions_is_only_checked_when_both_are_reported(app, scene):
    pm = scene.world.a.email(PM)
    with app.app_context():
        entry.upsert_days(
            actor(pm), scene.a_placement, [day("2027-03-01", impressions="", reach="5000")]
        )
    assert stored(app)[0][1:3] == (None, 5000)


def test_the_grid_keeps_empty_fields_not_reported_and_shows_them_so(app, client, login_as, scene):
    login_as(scene.world.a.email(PM))
    url = f"/campaigns/{scene.campaign_id}/placements/{scene.a_placement}"
    saved = client.post(
        url,
        data={
            "month": "2027-03",
            "2027-03-02-impressions": "1500",
            "2027-03-02-clicks": "0",
            "2027-03-02-conversions": "2.47",
        },
    )
    assert saved.status_code == 302
    assert stored(app) == [("2027-03-02", 1500, None, 0, None, 247, None, None)]
    page = client.get(url + "?month=2027-03").get_data(as_text=True)
    assert 'name="2027-03-02-clicks" value="0"' in page  # a real zero stays 0
    assert 'name="2027-03-02-conversions" value="2.47"' in page
    for field in ("reach", "leads", "revenue", "cost"):
        assert f'data-not-reported="2027-03-02-{field}"' in page
    assert 'placeholder="not reported"' in page
    # Only stored days say "not reported": an empty day is simply empty.
    assert 'data-not-reported="2027-03-03-reach"' not in page
    bad = client.post(url, data={"month": "2027-03", "2027-03-02-conversions": "2.471"})
    assert bad.status_code == 422
    assert "more than two decimals" in bad.get_data(as_text=True)
    assert stored(app) == [("2027-03-02", 1500, None, 0, None, 247, None, None)]


def test_the_csv_export_leaves_not_reported_cells_empty(app, client, login_as, scene):
    pm = scene.world.a.email(PM)
    with app.app_context():
        entry.upsert_days(
            actor(pm), scene.a_placement, [day("2027-03-01", reach="", conversions="0.25")]
        )
    login_as(pm)
    exported = client.get(
        f"/campaigns/{scene.campaign_id}/placements/{scene.a_placement}/metrics.csv"
    ).get_data(as_text=True)
    assert ",1000,,20,2,0.25,50.00,10.00,EUR" in exported
