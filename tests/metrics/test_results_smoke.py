from __future__ import annotations

import sqlalchemy as sa

from comarketing.extensions import db
from comarketing.metrics.models import DailyMetric, MetricImport
from tests.metrics.conftest import PM, import_id_from, upload

CSV = (
    "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\n"
    '2027-03-01,Alpha newsletter,"1,200",900,40,3,1,120.50,30.00\n'
    "2027-03-02,Alpha newsletter,1000,800,35,2,0,0,25.10\n"
)


def test_upload_preview_confirm(app, client, login_as, scene):
    login_as(scene.world.a.email(PM))
    import_id = import_id_from(upload(client, CSV.encode()))
    page = client.get(f"/metrics/imports/{import_id}")
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    assert "No errors" in html, html
    response = client.post(f"/metrics/imports/{import_id}/confirm", data={})
    assert response.status_code == 302
    page = client.get(f"/metrics/imports/{import_id}")
    assert "import-succeeded" in page.get_data(as_text=True), page.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(sa.select(DailyMetric).order_by(DailyMetric.day)).all()
        assert [(r.impressions, r.revenue_minor, r.cost_minor) for r in rows] == [
            (1200, 12050, 3000),
            (1000, 0, 2510),
        ]
        assert db.session.get(MetricImport, import_id).status == "succeeded"
