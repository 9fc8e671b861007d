"""A day after the company's today (in its time zone) is a row error "is in the future" by
file, by the grid and by the service the API uses; nothing is stored.

The scene's campaign runs 2027-03-01..04-30; each test pins "today" with METRICS_LATEST_DAY
or freezes the clock, so nothing depends on when the suite runs."""

from __future__ import annotations

import re
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from comarketing.accounts.models import Organization
from comarketing.extensions import db
from comarketing.metrics import dates, entry
from comarketing.metrics.models import DailyMetric, MetricImport
from tests.metrics.conftest import PM, import_id_from, refused_then_run, upload
from tests.offer_helpers import actor

HEADER = "date,placement,impressions,clicks,cost\n"


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric)),
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(MetricImport)
                .where(MetricImport.status != "preview")
            ),
        )


def test_today_is_the_companys_date(app):
    app.config["METRICS_LATEST_DAY"] = None
    berlin = SimpleNamespace(time_zone="Europe/Berlin")
    los_angeles = SimpleNamespace(time_zone="America/Los_Angeles")
    with app.app_context():
        with freeze_time("2027-03-04 22:59:59"):  # 23:59:59 on the 4th in Berlin
            assert dates.latest_day(berlin) == date(2027, 3, 4)
        with freeze_time("2027-03-04 23:00:00"):  # midnight in Berlin; 15:00 in Los Angeles
            assert dates.latest_day(berlin) == date(2027, 3, 5)
            assert dates.latest_day(los_angeles) == date(2027, 3, 4)


def test_a_future_day_in_a_file_is_a_row_error_and_nothing_is_stored(app, client, login_as, scene):
    app.config["METRICS_LATEST_DAY"] = "2027-03-04"
    login_as(scene.world.a.email(PM))
    content = (
        HEADER
        + "2027-03-03,Alpha newsletter,100,5,1.00\n"
        + "2027-03-04,Alpha newsletter,100,5,1.00\n"
        + "2027-03-05,Alpha newsletter,100,5,1.00\n"
    )
    import_id = import_id_from(upload(client, content.encode()))
    page = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    assert re.search(
        r"<td>4</td><td>date</td><td><code>2027-03-05</code></td><td>is in the future", page
    )
    assert 'data-testid="confirm-import" disabled' in page
    response = client.post(f"/metrics/imports/{import_id}/confirm", data={})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(MetricImport, import_id).status == "preview"
        failed = refused_then_run(actor(scene.world.a.email(PM)), import_id)
        assert failed.status == "failed"
        assert [(e["row"], e["column"], e["value"]) for e in failed.errors] == [
            (4, "date", "2027-03-05")
        ]
        assert failed.errors[0]["reason"].startswith("is in the future")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric)) == 0


def test_a_future_day_typed_on_the_grid_is_refused_in_its_cell(app, client, login_as, scene):
    app.config["METRICS_LATEST_DAY"] = "2027-03-04"
    login_as(scene.world.a.email(PM))
    url = f"/campaigns/{scene.campaign_id}/placements/{scene.a_placement}"
    response = client.post(
        url,
        data={
            "month": "2027-03",
            "2027-03-04-impressions": "100",
            "2027-03-05-impressions": "100",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'data-cell-error="2027-03-05-day">[^<]*is in the future', html)
    assert _counts(app) == (0, 0)


def test_the_service_the_api_uses_refuses_a_future_day(app, scene):
    app.config["METRICS_LATEST_DAY"] = "2027-03-04"
    pm = scene.world.a.email(PM)
    with app.app_context(), pytest.raises(entry.RowsInvalid) as refused:
        entry.upsert_days(
            actor(pm),
            scene.a_placement,
            [{"day": "2027-03-04", "clicks": "1"}, {"day": "2027-03-05", "clicks": "1"}],
            strict=True,
        )
    assert [(e["row"], e["column"]) for e in refused.value.errors] == [(1, "day")]
    assert refused.value.errors[0]["reason"] == (
        "is in the future: today is 4 Mar 2027 where your company works"
    )
    assert _counts(app) == (0, 0)


def test_with_the_real_clock_the_companys_today_is_accepted_and_tomorrow_refused(app, scene):
    app.config["METRICS_LATEST_DAY"] = None
    pm = scene.world.a.email(PM)
    with app.app_context():
        company = db.session.get(Organization, scene.world.a.id)
        company.time_zone = "Pacific/Kiritimati"  # UTC+14
        db.session.commit()
    with app.app_context(), freeze_time("2027-03-04 12:00:00"):  # 02:00 on the 5th there
        with pytest.raises(entry.RowsInvalid) as refused:
            entry.upsert_days(actor(pm), scene.a_placement, [{"day": "2027-03-06", "clicks": "1"}])
        assert refused.value.errors[0]["reason"].startswith("is in the future")
        entry.upsert_days(actor(pm), scene.a_placement, [{"day": "2027-03-05", "clicks": "1"}])
    assert _counts(app)[0] == 1
