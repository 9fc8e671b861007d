"""Daily metrics over the API: read by every party, written by the owner in all-or-nothing
batches with per-item errors, safe to retry with an Idempotency-Key."""

from __future__ import annotations

import sqlalchemy as sa

from comarketing.extensions import db
from comarketing.metrics.models import DailyMetric, MetricImport
from tests.api.conftest import error_of
from tests.campaign_helpers import joint_campaign

PM = "partner_manager"


def _scene(app, world):
    with app.app_context():
        joint = joint_campaign(world)
        db.session.remove()
    return joint


def _day(day: str, **values):
    """A day naming every figure, as POST needs."""
    return {
        "day": day,
        "impressions": 1000,
        "reach": 700,
        "clicks": 30,
        "leads": 0,
        "conversions": 0,
        "revenue": "0.00",
        "cost": "12.50",
        **values,
    }


def _count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_the_owner_upserts_and_every_party_reads(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/placements/{joint.a_placement}/metrics"
    created = writer.post(url, json={"days": [_day("2027-03-01"), _day("2027-03-02")]})
    assert created.status_code == 200, created.get_json()
    assert created.get_json() | {"import_id": 0} == {
        "import_id": 0,
        "written": 2,
        "replaced": 0,
        "unchanged": 0,
    }
    again = writer.post(url, json={"days": [_day("2027-03-02", clicks=31)]})
    assert again.get_json()["replaced"] == 1
    partner = api_as(world.b.email("analyst"))
    read = partner.get(url + "?start=2027-03-02")
    assert read.status_code == 200
    assert read.get_json() == {
        "placement_id": joint.a_placement,
        "currency": "EUR",
        "items": [
            {
                "day": "2027-03-02",
                "impressions": 1000,
                "reach": 700,
                "clicks": 31,
                "leads": 0,
                "conversions": "0.00",
                "revenue": {"amount": "0.00", "currency": "EUR", "minor": 0},
                "cost": {"amount": "12.50", "currency": "EUR", "minor": 1250},
            }
        ],
    }
    outsider = api_as(world.c.email("admin"))
    missing = outsider.get(url)
    assert missing.status_code == 404
    assert missing.data == outsider.get("/api/v1/placements/999999/metrics").data


def test_one_bad_day_stores_none_and_names_each_bad_field(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    response = writer.post(
        f"/api/v1/placements/{joint.a_placement}/metrics",
        json={
            "days": [
                _day("2027-03-01"),
                _day("2027-03-02", reach=2000),
                _day("2027-03-03", cost="10.005"),
                _day("2031-01-01"),
            ]
        },
    )
    error = error_of(response)
    assert response.status_code == 422
    assert [e["field"] for e in error["errors"]] == [
        "days.1.reach",
        "days.2.cost",
        "days.3.day",
    ]
    assert error["field"] == "days.1.reach"
    assert _count(app, DailyMetric) == 0 and _count(app, MetricImport) == 0


def test_floats_and_numbers_for_money_are_refused(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/placements/{joint.a_placement}/metrics"
    for day, field in (
        (_day("2027-03-01", impressions=10.0), "impressions"),
        (_day("2027-03-01", cost=12.5), "cost"),
        (_day("2027-03-01", cost="NaN"), "cost"),
        (_day("2027-03-01", clicks=-1), "clicks"),
    ):
        response = writer.post(url, json={"days": [day]})
        assert response.status_code == 422, response.get_json()
        fields = {e["field"] for e in error_of(response)["errors"]}
        assert any(field in f for f in fields), (field, fields)
    assert _count(app, DailyMetric) == 0


def test_money_with_a_currency_mark_is_refused_and_nothing_is_stored(app, world, api_as):
    """The API takes amounts as plain digits in the campaign's currency: a mark, even the
    campaign's own, is never stripped."""
    joint = _scene(app, world)  # an EUR campaign
    writer = api_as(world.a.email(PM), "write")
    response = writer.post(
        f"/api/v1/placements/{joint.a_placement}/metrics",
        json={
            "days": [
                _day("2027-03-01"),
                _day("2027-03-02", cost="$12.50"),
                _day("2027-03-03", revenue="12.50 USD"),
                _day("2027-03-04", cost="€12.50"),
            ]
        },
    )
    assert response.status_code == 422
    fields = [e["field"] for e in error_of(response)["errors"]]
    assert fields == ["days.1.cost", "days.2.revenue", "days.3.cost"]
    assert _count(app, DailyMetric) == 0 and _count(app, MetricImport) == 0


def test_only_the_owner_with_a_write_token_writes(app, world, api_as):
    joint = _scene(app, world)
    body = {"days": [_day("2027-03-01")]}
    url = f"/api/v1/placements/{joint.a_placement}/metrics"
    assert api_as(world.a.email(PM), "read").post(url, json=body).status_code == 403
    assert api_as(world.a.email("analyst"), "write").post(url, json=body).status_code == 403
    assert api_as(world.b.email(PM), "write").post(url, json=body).status_code == 403
    assert api_as(world.c.email(PM), "write").post(url, json=body).status_code == 404
    assert _count(app, DailyMetric) == 0


def test_a_retried_batch_with_its_idempotency_key_is_written_once(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/placements/{joint.a_placement}/metrics"
    body = {"days": [_day("2027-03-01")], "post_costs": True}
    headers = {"Idempotency-Key": "3f1c-retry-1"}
    first = writer.post(url, json=body, headers=headers)
    second = writer.post(url, json=body, headers=headers)
    assert first.status_code == second.status_code == 200
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert first.get_json() == second.get_json()
    assert _count(app, MetricImport) == 1
    changed = writer.post(url, json={"days": [_day("2027-03-02")]}, headers=headers)
    assert changed.status_code == 422
    assert error_of(changed)["field"] == "Idempotency-Key"


def test_the_days_answer_is_what_the_documented_schema_dumps(app, world, api_as):
    """The list is built without the schema's field-by-field dump (it cost more than the rest
    of the request): the answer must be exactly DaysOut's dump of the stored days."""
    from comarketing.api.metrics import DaysOut
    from comarketing.api.schemas import money
    from comarketing.hundredths import to_text
    from comarketing.metrics import placements
    from comarketing.metrics.models import COUNT_FIELDS, DailyMetric

    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/placements/{joint.a_placement}/metrics"
    days = [
        _day("2027-03-01", conversions=2.47, revenue="1234.05"),
        _day("2027-03-02", reach=None, clicks=None, conversions=None, revenue=None, cost=None),
        _day("2027-03-03", impressions=None, leads=7, cost="0.01"),
    ]
    assert writer.post(url, json={"days": days}).status_code == 200
    answer = api_as(world.b.email("analyst")).get(url).get_json()
    with app.app_context():
        stored = db.session.scalars(
            sa.select(DailyMetric)
            .where(DailyMetric.placement_id == joint.a_placement)
            .order_by(DailyMetric.day)
        ).all()
        currency = placements.get_placement(
            _actor_of(world.a.email(PM)), joint.a_placement
        ).campaign.currency
        dumped = DaysOut().dump(
            {
                "placement_id": joint.a_placement,
                "currency": currency,
                "items": [
                    {
                        "day": d.day,
                        **{name: getattr(d, name) for name in COUNT_FIELDS},
                        "conversions": to_text(d.conversions_hundredths) or None,
                        "revenue": money(d.revenue_minor, currency),
                        "cost": money(d.cost_minor, currency),
                    }
                    for d in stored
                ],
            }
        )
    assert len(answer["items"]) == 3
    assert answer == dumped
    assert answer["items"][1]["reach"] is None and answer["items"][1]["cost"] is None


def _actor_of(email: str):
    from comarketing.accounts.models import User
    from comarketing.context import Actor, Origin

    user = db.session.scalar(sa.select(User).where(User.email == email))
    return Actor(user, Origin(ip="127.0.0.1", request_id="test"))
