"""Events (issue 20) against the canary scene: a company receives events only about records it
is a party to, with only what its users can see in the pages. The scene is built through the
real services, which raise every event on the way; nothing A receives, by webhook payload or
the changes feed, carries the canary of C or of the B-C partnership."""

from __future__ import annotations

import json
from collections import Counter

import sqlalchemy as sa
from flask import Flask

from comarketing.api import services as api_tokens
from comarketing.events import Event, envelope
from comarketing.extensions import db
from tests.security.conftest import Scene, actor_for

_campaign_parties = sa.table(
    "campaign_parties", sa.column("campaign_id"), sa.column("organization_id")
)
_offer_parties = sa.table("offer_parties", sa.column("offer_id"), sa.column("organization_id"))
_partnerships = sa.table(
    "partnerships",
    sa.column("id"),
    sa.column("inviter_organization_id"),
    sa.column("invitee_organization_id"),
)
_imports = sa.table("metric_imports", sa.column("id"), sa.column("organization_id"))


def _all_events(app: Flask) -> list[Event]:
    with app.app_context():
        events = list(db.session.scalars(sa.select(Event).order_by(Event.id)))
        db.session.expunge_all()
        return events


def test_a_receives_events_of_its_own_records_without_the_canary(app: Flask, scene: Scene) -> None:
    a = scene.world.a.id
    events = _all_events(app)
    mine = [e for e in events if e.organization_id == a]
    kinds = Counter(e.type for e in mine)
    # The scene gives A something of each family (a check that cannot fail guards nothing).
    for expected in (
        "offer.sent",
        "offer.decided",
        "offer.approved",
        "campaign.created",
        "placement.created",
        "claim.submitted",
        "payment.recorded",
        "results.imported",
        "collateral.submitted",
        "partnership.invited",
    ):
        assert kinds[expected], f"A got no {expected}"
    for event in mine:
        text = json.dumps(envelope(event))
        assert scene.world.canary not in text, text
    # The canary does travel, to the companies that may see it (the check is not blind).
    assert any(scene.world.canary in json.dumps(e.data) for e in events if e.organization_id != a)
    bc = {scene.placeholders[k] for k in ("bc_sent_offer", "bc_approved_offer")}
    assert not any(e.data.get("offer_id") in bc for e in mine)
    assert not any(e.data.get("campaign_id") == scene.placeholders["bc_campaign"] for e in mine)


def test_every_event_goes_only_to_parties_of_its_record(app: Flask, scene: Scene) -> None:
    with app.app_context():
        campaigns: dict[int, set[int]] = {}
        for campaign_id, org in db.session.execute(sa.select(_campaign_parties)).all():
            campaigns.setdefault(campaign_id, set()).add(org)
        offers: dict[int, set[int]] = {}
        for offer_id, org in db.session.execute(sa.select(_offer_parties)).all():
            offers.setdefault(offer_id, set()).add(org)
        partnerships = {
            pid: {inviter, invitee}
            for pid, inviter, invitee in db.session.execute(sa.select(_partnerships)).all()
        }
        imports = dict(db.session.execute(sa.select(_imports)).all())
    checked = 0
    for event in _all_events(app):
        data, org = event.data, event.organization_id
        if data.get("campaign_id") is not None:
            assert org in campaigns[data["campaign_id"]], (event.type, data)
        if data.get("offer_id") is not None:
            assert org in offers[data["offer_id"]], (event.type, data)
        if "partnership_id" in data:
            assert org in partnerships[data["partnership_id"]], (event.type, data)
        if "import_id" in data:
            assert imports[data["import_id"]] == org
        checked += 1
    assert checked > 50


def test_the_inviter_learns_no_company_behind_an_address(app: Flask, scene: Scene) -> None:
    """A invited addresses at C: A's events name the address it typed, never C."""
    c = scene.world.c.id
    for event in _all_events(app):
        if event.type == "partnership.invited" and event.data["direction"] == "sent":
            assert event.data["partner_organization_id"] is None
            assert event.data["partner_name"] is None
            assert event.data["invitee_email"]
        if event.organization_id == scene.world.a.id:
            assert event.data.get("partner_organization_id") != c


def test_the_changes_feed_shows_a_only_its_events(app: Flask, scene: Scene) -> None:
    app.config["EVENTS_FEED_SETTLE_SECONDS"] = 0
    with app.app_context():
        _, token = api_tokens.create_token(
            actor_for(scene.world.a.email("analyst")), name="feed", scope="read", days=30
        )
        a_ids = set(
            db.session.scalars(
                sa.select(Event.public_id).where(Event.organization_id == scene.world.a.id)
            )
        )
        b_event = db.session.scalar(
            sa.select(Event.public_id).where(Event.organization_id == scene.world.b.id).limit(1)
        )
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    seen: list[str] = []
    after = None
    while True:
        query = f"?limit=7&after={after}" if after else "?limit=7"
        response = client.get(f"/api/v1/events{query}", headers=headers)
        assert response.status_code == 200
        assert scene.world.canary not in response.get_data(as_text=True)
        page = response.get_json()
        seen += [item["id"] for item in page["items"]]
        after = page["next_cursor"]
        if not page["has_more"]:
            break
    assert set(seen) == a_ids and len(seen) == len(a_ids)
    # Another company's event id is no cursor here: it answers like an unknown one.
    for cursor in (b_event, "evt_unknown", "nonsense\x00"):
        response = client.get("/api/v1/events", query_string={"after": cursor}, headers=headers)
        assert response.status_code == 422
        assert response.get_json()["error"]["field"] == "after"
