"""Missing is not zero over the API (issue 15): POST names every figure of every day (a number
or null), every error of a request comes back in one answer, PATCH keeps what it does not
name, conversions take two decimals, and an Idempotency-Key compares the parsed JSON."""

from __future__ import annotations

import json

import sqlalchemy as sa

from comarketing.extensions import db
from comarketing.metrics.models import MetricImport, MetricRollup
from tests.api.conftest import error_of
from tests.api.test_api_metrics import PM, _day, _scene
from tests.metrics.conftest import stored_days


def _stored(app) -> list[tuple]:
    with app.app_context():
        return stored_days()


def _imports(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(MetricImport.id))) or 0


def _patch(client, url: str, body: dict, **kwargs):
    return client.open(url, "PATCH", json=body, **kwargs)


def test_a_day_with_only_clicks_is_refused_naming_every_omitted_figure(app, world, api_as):
    """The issue's case: it used to zero the day's other figures and answer 200."""
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/placements/{joint.a_placement}/metrics"
    assert writer.post(url, json={"days": [_day("2027-03-01")]}).status_code == 200
    before, imports = _stored(app), _imports(app)
    response = writer.post(url, json={"days": [{"day": "2027-03-01", "clicks": 31}]})
    error = error_of(response)
    assert response.status_code == 422
    assert [e["field"] for e in error["errors"]] == [
        f"days.0.{f}" for f in ("conversions", "cost", "impressions", "leads", "reach", "revenue")
    ]
    assert all("null" in e["message"] for e in error["errors"])
    assert (_stored(app), _imports(app)) == (before, imports)


def test_schema_errors_and_row_errors_come_back_together(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    days = [
        _day("2027-03-01"),
        {k: v for k, v in _day("2027-03-02").items() if k != "leads"},  # schema: omitted
        _day("2027-03-03", reach=5000),  # row: above impressions
        _day("2027-03-04", conversions=2.471),  # schema: three decimals
        _day("2031-01-01"),  # row: outside the placement's dates
        _day("2027-03-06", clicks=None, cost="abc"),  # schema: not an amount (null is fine)
    ]
    response = writer.post(f"/api/v1/placements/{joint.a_placement}/metrics", json={"days": days})
    error = error_of(response)
    assert response.status_code == 422
    fields = [e["field"] for e in error["errors"]]
    assert fields == [
        "days.1.leads",
        "days.2.reach",
        "days.3.conversions",
        "days.4.day",
        "days.5.cost",
    ]
    messages = {e["field"]: e["message"] for e in error["errors"]}
    assert "2.471 has more than two decimals" in messages["days.3.conversions"]
    assert "cannot be above impressions" in messages["days.2.reach"]
    assert error["message"] == "5 errors in the request; nothing was stored."
    assert _stored(app) == [] and _imports(app) == 0


def test_null_is_not_reported_and_conversions_keep_two_decimals(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/placements/{joint.a_placement}/metrics"
    body = {
        "days": [
            _day("2027-03-01", reach=None, conversions=2.47, revenue=None),
            _day("2027-03-02", impressions=0, reach=0, conversions="5.00", cost=None),
        ]
    }
    assert writer.post(url, json=body).status_code == 200
    assert _stored(app) == [
        ("2027-03-01", 1000, None, 30, 0, 247, None, 1250),
        ("2027-03-02", 0, 0, 30, 0, 500, 0, None),
    ]
    items = api_as(world.b.email("analyst")).get(url).get_json()["items"]
    assert [(i["reach"], i["conversions"], i["revenue"], i["cost"]) for i in items] == [
        (None, "2.47", None, {"amount": "12.50", "currency": "EUR", "minor": 1250}),
        (0, "5.00", {"amount": "0.00", "currency": "EUR", "minor": 0}, None),
    ]
    with app.app_context():
        month = db.session.scalars(sa.select(MetricRollup)).one()
        assert (month.days, month.reach_days, month.reach, month.cost_days) == (2, 1, 0, 1)
        assert month.conversions_hundredths == 747


def test_patch_keeps_what_it_does_not_name(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/placements/{joint.a_placement}/metrics"
    assert writer.post(url, json={"days": [_day("2027-03-01", conversions=1.5)]}).status_code == 200
    patched = _patch(
        writer,
        url,
        {
            "days": [
                {"day": "2027-03-01", "clicks": 31, "reach": None},
                {"day": "2027-03-02", "leads": 4},
            ]
        },
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json() | {"import_id": 0} == {
        "import_id": 0,
        "written": 2,
        "replaced": 1,
        "unchanged": 0,
    }
    assert _stored(app) == [
        ("2027-03-01", 1000, None, 31, 0, 150, 0, 1250),  # the rest kept as stored
        ("2027-03-02", None, None, None, 4, None, None, None),  # a new day: the rest not reported
    ]
    same = _patch(writer, url, {"days": [{"day": "2027-03-01", "clicks": 31}]})
    assert same.get_json()["unchanged"] == 1


def test_a_bad_patch_names_every_error_and_changes_nothing(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/placements/{joint.a_placement}/metrics"
    assert writer.post(url, json={"days": [_day("2027-03-01")]}).status_code == 200
    before, imports = _stored(app), _imports(app)
    # Reach above the stored impressions: only visible once the stored day is merged in.
    merged = _patch(writer, url, {"days": [{"day": "2027-03-01", "reach": 5000}]})
    assert merged.status_code == 422
    assert [e["field"] for e in error_of(merged)["errors"]] == ["days.0.reach"]
    several = _patch(
        writer,
        url,
        {"days": [{"day": "2027-03-01", "clicks": -1}, {"day": "2031-01-01", "conversions": 1}]},
    )
    assert several.status_code == 422
    assert [e["field"] for e in error_of(several)["errors"]] == ["days.0.clicks", "days.1.day"]
    assert (_stored(app), _imports(app)) == (before, imports)
    outsider = _patch(api_as(world.b.email(PM), "write"), url, {"days": [{"day": "2027-03-01"}]})
    assert outsider.status_code == 403
    assert (_stored(app), _imports(app)) == (before, imports)


def test_bodies_that_are_not_a_list_of_days_are_422_never_500(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/placements/{joint.a_placement}/metrics"
    for body in ({}, {"days": []}, {"days": "x"}, {"days": [1]}, [1], {"days": [{}]}):
        for method in ("POST", "PATCH"):
            response = writer.open(url, method, json=body)
            assert response.status_code == 422, (method, body, response.get_json())
            assert error_of(response)["errors"]
    assert _stored(app) == [] and _imports(app) == 0


def test_an_idempotency_key_compares_the_parsed_json_not_its_bytes(app, world, api_as):
    joint = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/placements/{joint.a_placement}/metrics"
    headers = {"Idempotency-Key": "reordered-1", "Content-Type": "application/json"}
    body = {"days": [_day("2027-03-01", conversions=2.47)], "post_costs": False}
    first = writer.post(url, data=json.dumps(body), headers=headers)
    reordered = {
        "post_costs": False,
        "days": [dict(reversed(list(body["days"][0].items())))],
    }
    again = writer.post(url, data=json.dumps(reordered, indent=2), headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    assert _imports(app) == 1
    changed = writer.post(url, data=json.dumps({**body, "post_costs": True}), headers=headers)
    assert changed.status_code == 422
    assert error_of(changed)["field"] == "Idempotency-Key"
    assert _imports(app) == 1
