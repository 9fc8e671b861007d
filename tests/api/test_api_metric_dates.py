"""A day after today (in UTC+14) sent to the API is a 422 naming days.<i>.day; nothing stored."""

from __future__ import annotations

import sqlalchemy as sa

from comarketing.extensions import db
from comarketing.metrics.models import DailyMetric, MetricImport
from tests.api.conftest import error_of
from tests.campaign_helpers import joint_campaign

PM = "partner_manager"


def test_a_future_day_is_refused_by_the_api_and_nothing_is_stored(app, world, api_as):
    app.config["METRICS_LATEST_DAY"] = "2027-03-04"
    with app.app_context():
        joint = joint_campaign(world)
        db.session.remove()
    writer = api_as(world.a.email(PM), "write")
    days = [
        {
            "day": day,
            "impressions": 10,
            "reach": 5,
            "clicks": 1,
            "leads": None,
            "conversions": None,
            "revenue": None,
            "cost": "1.00",
        }
        for day in ("2027-03-04", "2027-03-05")
    ]
    response = writer.post(f"/api/v1/placements/{joint.a_placement}/metrics", json={"days": days})
    assert response.status_code == 422
    error = error_of(response)
    assert [(e["field"], e["message"]) for e in error["errors"]] == [
        (
            "days.1.day",
            "2027-03-05 is in the future: today is 4 Mar 2027 where your company works",
        )
    ]
    with app.app_context():
        for model in (DailyMetric, MetricImport):
            assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
