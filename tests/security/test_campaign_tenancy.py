"""Campaign and ledger tenancy beyond the route matrix (SECURITY.md items 3 and 5), and the
calendar feed's revocation."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from comarketing.budgets.models import LedgerEntry
from comarketing.extensions import db
from tests.security.conftest import Scene, client_as, normalised, table_digests

CAMPAIGN_LINK = re.compile(r'href="/campaigns/(\d+)"')


def listed_campaigns(html: str) -> set[int]:
    return {int(found) for found in CAMPAIGN_LINK.findall(html)}


def test_a_claim_naming_a_placement_of_b_c_is_refused_and_writes_nothing(
    app: Flask, scene: Scene
) -> None:
    p = scene.placeholders
    client = client_as(app, scene.world.a.email("admin"))
    # The first page with a form stores the CSRF secret in the session: get it over with.
    assert client.get("/dashboard").status_code == 200
    before = table_digests(app)

    response = client.post(
        f"/campaigns/{p['ab_campaign']}/claims",
        data={
            "organization_id": str(p["a_org"]),
            "placement_id": str(p["bc_placement"]),
            "amount": "10.00",
            "service_from": "2030-03-01",
            "service_to": "2030-03-01",
            "paid_on": "2026-01-15",
            # Even with an admin's override reason the placement must be the campaign's own.
            "override_reason": "Trying another campaign's placement",
        },
    )

    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "Choose a placement of this campaign." in body
    assert scene.world.canary not in body
    assert table_digests(app) == before, "a refused claim changed the database"
    with app.app_context():
        named = db.session.scalar(
            sa.select(sa.func.count()).where(LedgerEntry.placement_id == p["bc_placement"])
        )
        db.session.remove()
    assert named == 1  # B's own claim on the B-C campaign, nothing more


def test_filtering_the_campaign_list_by_c_shows_nothing_of_b_c(app: Flask, scene: Scene) -> None:
    p = scene.placeholders
    client = client_as(app, scene.world.a.email("analyst"))

    by_c = client.get(f"/campaigns?partner={p['c_org']}")
    by_b = client.get(f"/campaigns?partner={p['b_org']}")

    assert by_c.status_code == by_b.status_code == 200
    c_page = by_c.get_data(as_text=True)
    assert listed_campaigns(c_page) == set()
    assert scene.world.canary not in c_page
    # Control: the same filter does work, and B-C stays out even when filtering by B.
    assert listed_campaigns(by_b.get_data(as_text=True)) == {p["ab_campaign"]}


def test_a_revoked_calendar_feed_answers_like_an_unknown_one(app: Flask, scene: Scene) -> None:
    feed_url = f"/calendar/feed/{scene.placeholders['a_feed_token']}.ics"
    calendar_app = client_as(app, None)
    live = calendar_app.get(feed_url)
    assert live.status_code == 200
    assert "BEGIN:VCALENDAR" in live.get_data(as_text=True)
    assert "Alpha" in live.get_data(as_text=True)

    owner = client_as(app, scene.world.a.email("admin"))
    assert owner.post("/calendar/feed/revoke").status_code == 302

    revoked = calendar_app.get(feed_url)
    unknown = calendar_app.get("/calendar/feed/not-a-real-token.ics")
    assert revoked.status_code == 404
    assert normalised(revoked) == normalised(unknown)
