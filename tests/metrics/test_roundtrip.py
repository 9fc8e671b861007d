"""Property: any CSV we export of a placement's results imports back unchanged."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comarketing import hundredths
from comarketing.campaigns.models import Placement
from comarketing.extensions import db
from comarketing.metrics import entry
from comarketing.metrics.models import DailyMetric
from comarketing.money import to_decimal_string
from tests.metrics.conftest import PM, import_id_from, upload
from tests.offer_helpers import actor

FIRST = date(2027, 3, 1)


@st.composite
def day_figures(draw: st.DrawFn) -> dict[str, str]:
    impressions = draw(st.integers(0, 10**12))
    figures = {
        "impressions": str(impressions),
        "reach": str(draw(st.integers(0, impressions))),
        "clicks": str(draw(st.integers(0, 10**9))),
        "leads": str(draw(st.integers(0, 10**6))),
        # Fractional conversions (attribution models) go out and back exactly.
        "conversions": hundredths.to_text(draw(st.integers(0, 10**8))),
        "revenue": to_decimal_string(draw(st.integers(0, 10**13)), "EUR"),
        "cost": to_decimal_string(draw(st.integers(0, 10**13)), "EUR"),
    }
    # Any figure may be not reported: exported as an empty cell, read back as not reported.
    missing = draw(st.sets(st.sampled_from(sorted(figures))))
    return {name: "" if name in missing else value for name, value in figures.items()}


results = st.dictionaries(st.integers(0, 60), day_figures(), min_size=1, max_size=12)
names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=40
).filter(lambda n: n.strip() == n and n)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    days=results,
    name=st.one_of(names, st.sampled_from(['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", 'a,"b"\nc'])),
)
def test_an_exported_csv_imports_back_unchanged(app, client, login_as, scene, days, name):
    email = scene.world.a.email(PM)
    login_as(email)
    with app.app_context():
        db.session.execute(sa.delete(DailyMetric))
        db.session.get(Placement, scene.a_placement).name = name
        db.session.commit()
        items = [{"day": (FIRST + timedelta(days=n)).isoformat(), **v} for n, v in days.items()]
        entry.upsert_days(actor(email), scene.a_placement, items)
        before = _rows(scene.a_placement)
    url = f"/campaigns/{scene.campaign_id}/placements/{scene.a_placement}/metrics.csv"
    exported = client.get(url).data
    with app.app_context():
        db.session.execute(sa.delete(DailyMetric))
        db.session.commit()
    import_id = import_id_from(upload(client, exported, "export.csv"))
    response = client.post(f"/metrics/imports/{import_id}/confirm", data={"import_again": "y"})
    assert response.status_code == 302
    with app.app_context():
        from comarketing.metrics.models import MetricImport

        result = db.session.get(MetricImport, import_id)
        assert result.status == "succeeded", (result.message, result.errors[:3])
        assert _rows(scene.a_placement) == before
    assert client.get(url).data == exported


def _rows(placement_id: int) -> list[tuple]:
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(
                DailyMetric.day,
                DailyMetric.impressions,
                DailyMetric.reach,
                DailyMetric.clicks,
                DailyMetric.leads,
                DailyMetric.conversions_hundredths,
                DailyMetric.revenue_minor,
                DailyMetric.cost_minor,
            )
            .where(DailyMetric.placement_id == placement_id)
            .order_by(DailyMetric.day)
        ).all()
    ]
