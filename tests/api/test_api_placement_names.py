"""A placement's platform names in the API's placement JSON (issue 15): every party of the
campaign reads them with the placement; another company's campaign stays 404."""

from __future__ import annotations

from datetime import date

from comarketing.campaigns import platform_names
from comarketing.extensions import db
from tests import campaign_helpers as ch
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
