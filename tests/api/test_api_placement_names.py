"""A placement's platform names in the API's placement JSON (issue 15): every party of the
campaign reads them with the placement; another company's campaign stays 404."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from comarketing.campaigns import platform_names
from comarketing.campaigns.models import PlacementName
from comarketing.extensions import db
from tests import campaign_helpers as ch
from tests.api.conftest import error_of
from tests.offer_helpers import actor

PM = "partner_manager"


def test_placements_list_their_platform_names(app, world, api_as):
    with app.app_context():
        email = world.a.email(PM)
        campaign = ch.solo_campaign(email, "April", start=date(2026, 4, 1), end=date(2026, 4, 30))
        search = ch.add_placement(email, campaign, world.a.id, name="Spring Search")
        social = ch.add_placement(email, campaign, world.a.id, name="Spring Social")
        meta = platform_names.add_name(actor(email), campaign, search, "Meta: Spring", "Meta")
        google = platform_names.add_name(actor(email), campaign, search, "987654321", "")
        ids = (meta.id, google.id)
        db.session.remove()

    body = api_as(world.a.email("analyst")).get(f"/api/v1/campaigns/{campaign}/placements").json
    by_id = {p["id"]: p["platform_names"] for p in body["items"]}
    assert by_id == {
        search: [
            {"id": ids[0], "platform": "Meta", "name": "Meta: Spring"},
            {"id": ids[1], "platform": "", "name": "987654321"},
        ],
        social: [],
    }
    outsider = api_as(world.c.email(PM)).get(f"/api/v1/campaigns/{campaign}/placements")
    assert outsider.status_code == 404
    assert "Meta: Spring" not in outsider.get_data(as_text=True)


def _names(app) -> list[tuple[int, str, str]]:
    with app.app_context():
        return [
            (row.placement_id, row.platform, row.name)
            for row in db.session.scalars(sa.select(PlacementName).order_by(PlacementName.id))
        ]


def test_platform_names_are_added_and_removed_by_the_owners_write_tokens(app, world, api_as):
    with app.app_context():
        email = world.a.email(PM)
        campaign = ch.solo_campaign(email, "April", start=date(2026, 4, 1), end=date(2026, 4, 30))
        search = ch.add_placement(email, campaign, world.a.id, name="Spring Search")
        ch.add_placement(email, campaign, world.a.id, name="Spring Social")
        db.session.remove()
    url = f"/api/v1/placements/{search}/names"
    writer = api_as(world.a.email(PM), "write")

    added = writer.post(url, json={"name": " Meta:\u00a0Spring ", "platform": "Meta"})
    assert added.status_code == 201, added.json
    assert added.json == {"id": added.json["id"], "platform": "Meta", "name": "Meta: Spring"}
    before = _names(app)
    assert before == [(search, "Meta", "Meta: Spring")]

    refused = [
        (writer.post(url, json={"name": "META: spring"}), 422, "already finds placement"),
        (writer.post(url, json={"name": "spring SOCIAL"}), 422, "is the name of placement"),
        (writer.post(url, json={"name": "a\u200bb"}), 422, "U+200B ZERO WIDTH SPACE"),
        (writer.post(url, json={"name": ""}), 422, ""),
        (writer.post(url, json={"name": "\ufdfa" * 200}), 422, "too long"),
        (api_as(world.a.email(PM)).post(url, json={"name": "X"}), 403, "only read"),
        (api_as(world.a.email("analyst"), "write").post(url, json={"name": "X"}), 403, ""),
        (api_as(world.c.email(PM), "write").post(url, json={"name": "X"}), 404, ""),
    ]
    for response, status, message in refused:
        assert response.status_code == status, response.json
        assert message in error_of(response)["message"] + str(error_of(response)["errors"])
    assert _names(app) == before

    name_id = added.json["id"]
    outsider = api_as(world.c.email(PM), "write").open(f"{url}/{name_id}", "DELETE")
    assert outsider.status_code == 404 and _names(app) == before
    removed = writer.open(f"{url}/{name_id}", "DELETE")
    assert removed.status_code == 200 and removed.json["name"] == "Meta: Spring"
    assert _names(app) == []
    assert writer.open(f"{url}/{name_id}", "DELETE").status_code == 404
