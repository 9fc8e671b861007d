"""Canary crawl of the issue-20 API reads (SECURITY.md item 4) on the security suite's scene:
with a token of every role of A, nothing of company C or of the B-C campaign (all marked with
the canary) ever comes back from the calendar, milestones, collateral lists, assets, requests
or usage reports — and C's records answer exactly like missing ones."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Flask

from comarketing.api import services as api_tokens
from comarketing.campaigns.models import Campaign
from comarketing.extensions import db
from tests.api.conftest import ApiClient
from tests.collateral.conftest import restore_engine, scene  # noqa: F401
from tests.security.conftest import A_ROLES, Scene, actor_for


def _months(app: Flask) -> list[str]:
    """Every month any campaign of the scene (C's too) runs in."""
    with app.app_context():
        spans = db.session.execute(sa.select(Campaign.start_date, Campaign.end_date)).all()
        db.session.remove()
    months: set[str] = set()
    for start, end in spans:
        day = date(start.year, start.month, 1)
        while day <= end:
            months.add(day.strftime("%Y-%m"))
            day = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return sorted(months)


def _client(app: Flask, email: str) -> ApiClient:
    with app.app_context():
        _, token = api_tokens.create_token(actor_for(email), name="crawl", scope="read", days=30)
        db.session.remove()
    return ApiClient(app.test_client(), token)


def test_no_api_read_shows_a_anything_of_c_or_of_b_c(app: Flask, scene: Scene) -> None:  # noqa: F811
    canary = scene.world.canary
    p = scene.placeholders
    months = _months(app)
    for role in A_ROLES:
        api = _client(app, scene.world.a.email(role))
        urls = [f"/api/v1/calendar?month={m}" for m in months]
        urls += [f"/api/v1/calendar?month={m}&owner=partners" for m in months]
        urls += [
            "/api/v1/collateral?per_page=100",
            "/api/v1/collateral/report",
            f"/api/v1/campaigns/{p['ab_campaign']}/milestones",
            f"/api/v1/campaigns/{p['ab_campaign']}/collateral/requests",
            f"/api/v1/campaigns/{p['ab_campaign']}/collateral/report",
        ]
        listed = api.get("/api/v1/collateral?per_page=100").json["items"]
        assert listed, "the scene gives A assets to read"
        urls += [f"/api/v1/collateral/assets/{a['id']}" for a in listed]
        for url in urls:
            response = api.get(url)
            assert response.status_code == 200, (role, url, response.json)
            assert canary not in response.get_data(as_text=True), (role, url)

        missing = api.get(f"/api/v1/collateral/assets/{p['next_asset']}")
        for url in (
            f"/api/v1/collateral/assets/{p['bc_asset']}",
            f"/api/v1/campaigns/{p['bc_campaign']}/milestones",
            f"/api/v1/campaigns/{p['bc_campaign']}/collateral/requests",
            f"/api/v1/campaigns/{p['bc_campaign']}/collateral/report",
            f"/api/v1/collateral?campaign={p['bc_campaign']}",
        ):
            response = api.get(url)
            assert response.status_code == 404, (role, url)
            assert response.json == missing.json, (role, url)
        refused = api.get(f"/api/v1/calendar?campaign={p['bc_campaign']}")
        assert refused.status_code == 422 and canary not in refused.get_data(as_text=True)

    # The canary is there to find: C's own token reads it.
    own = _client(app, scene.world.c.email("admin")).get("/api/v1/collateral?per_page=100")
    assert canary in own.get_data(as_text=True)
