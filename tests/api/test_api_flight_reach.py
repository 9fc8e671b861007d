"""A placement's flight reach over the API (issue 16): read with the placement, set or cleared
with ``PUT /placements/{id}/flight-reach`` by the owning company's write token, refused (422
naming ``flight_reach``) when it is not a whole number >= 0, idempotent, audited, and 404 for a
placement of another company's campaign; the import preview lists a file's flight reaches."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa

from comarketing.audit import AuditEvent
from comarketing.campaigns.models import Placement
from comarketing.extensions import db
from tests import campaign_helpers as ch
from tests.api.conftest import error_of
from tests.metrics.test_flight_reach_import import FIXTURE, NOT_DAYS, SEARCH, SOCIAL, build_spring

PM = "partner_manager"


def _placement(app, world) -> tuple[int, int]:
    with app.app_context():
        email = world.a.email(PM)
        campaign = ch.solo_campaign(email, "April", start=date(2026, 4, 1), end=date(2026, 4, 30))
        placement = ch.add_placement(email, campaign, world.a.id, name="Spring Social")
        db.session.remove()
    return campaign, placement


def _stored(app, placement_id: int) -> tuple[int | None, int]:
    """The placement's flight reach and how many audit events recorded a change of it."""
    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        assert placement is not None
        events = db.session.scalar(
            sa.select(sa.func.count()).where(
                AuditEvent.action == "placement.flight_reach", AuditEvent.target_id == placement_id
            )
        )
        return placement.flight_reach, int(events or 0)


def test_the_flight_reach_is_read_with_the_placement_and_set_by_put(app, world, api_as):
    campaign, placement = _placement(app, world)
    reader = api_as(world.a.email("analyst"))
    [item] = reader.get(f"/api/v1/campaigns/{campaign}/placements").json["items"]
    assert item["flight_reach"] is None

    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/placements/{placement}/flight-reach"
    first = writer.open(url, "PUT", json={"flight_reach": 48_210})
    assert first.status_code == 200, first.json
    assert first.json == {
        "id": placement,
        "start_date": "2026-04-01",
        "end_date": "2026-04-30",
        "flight_reach": 48_210,
    }
    # The same request again changes nothing and records nothing more.
    again = writer.open(url, "PUT", json={"flight_reach": 48_210})
    assert again.status_code == 200 and again.json == first.json
    assert _stored(app, placement) == (48_210, 1)
    [item] = reader.get(f"/api/v1/campaigns/{campaign}/placements").json["items"]
    assert item["flight_reach"] == 48_210

    cleared = writer.open(url, "PUT", json={"flight_reach": None})
    assert cleared.status_code == 200 and cleared.json["flight_reach"] is None
    assert _stored(app, placement) == (None, 2)


def test_a_bad_value_or_another_companys_placement_is_refused(app, world, api_as):
    _, placement = _placement(app, world)
    url = f"/api/v1/placements/{placement}/flight-reach"
    writer = api_as(world.a.email(PM), "write")
    assert writer.open(url, "PUT", json={"flight_reach": 100}).status_code == 200

    for body in ({"flight_reach": -1}, {"flight_reach": 2.5}, {"flight_reach": "12k"}, {}):
        response = writer.open(url, "PUT", json=body)
        assert response.status_code == 422, (body, response.json)
        error = error_of(response)
        assert "flight_reach" in str(error["errors"]) or error["field"] == "flight_reach"
    five = {"flight_reach": 5}
    refused = [
        (api_as(world.a.email(PM)).open(url, "PUT", json=five), 403),
        (api_as(world.a.email("analyst"), "write").open(url, "PUT", json=five), 403),
        (api_as(world.c.email(PM), "write").open(url, "PUT", json=five), 404),
        (writer.open("/api/v1/placements/999999/flight-reach", "PUT", json=five), 404),
    ]
    for response, status in refused:
        assert response.status_code == status, response.json
    assert _stored(app, placement) == (100, 1)


def test_the_api_preview_lists_the_flight_reaches(app, world, api_as):
    spring = build_spring(app, world)
    response = api_as(spring["email"], "write").post(
        "/api/v1/imports",
        data={
            "file": (io.BytesIO(FIXTURE.read_bytes()), "meta.csv"),
            "campaign_id": str(spring["campaign"]),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.json
    body = response.json
    assert body["flight_reach"] == [
        {
            "placement_id": spring[SEARCH],
            "name": SEARCH,
            "start_date": "2026-03-01",
            "end_date": "2026-03-31",
            "flight_reach": 48_210,
        },
        {
            "placement_id": spring[SOCIAL],
            "name": SOCIAL,
            "start_date": "2026-03-01",
            "end_date": "2026-04-15",
            "flight_reach": 91_466,
        },
    ]
    assert any(NOT_DAYS in warning for warning in body["warnings"])
    assert body["rows"] == [] and body["ready"] is True
