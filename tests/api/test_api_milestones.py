"""A campaign's milestones over the API (issue 20): listed for every party, added by a
campaign manager of any party for any party, marked done once; 404 for another company's
campaign or milestone, 403 for a read token or a role that does not manage campaigns, 422
naming the field, Idempotency-Key honoured. The page neither edits nor deletes a milestone,
and neither does the API."""

from __future__ import annotations

import sqlalchemy as sa

from comarketing.campaigns import milestones
from comarketing.campaigns.models import Milestone
from comarketing.extensions import db
from tests import campaign_helpers as ch
from tests.api.conftest import error_of
from tests.offer_helpers import actor

PM = "partner_manager"


def _scene(app, world) -> tuple[int, int]:
    with app.app_context():
        joint = ch.joint_campaign(world)
        c_solo = ch.solo_campaign(world.c.email(PM), f"Gamma {world.canary}")
        db.session.remove()
    return joint.id, c_solo


def _count(app) -> int:
    with app.app_context():
        found = db.session.scalar(sa.select(sa.func.count()).select_from(Milestone))
        db.session.remove()
    return int(found or 0)


def test_a_milestone_is_added_listed_for_both_parties_and_marked_done_once(app, world, api_as):
    joint, _ = _scene(app, world)
    url = f"/api/v1/campaigns/{joint}/milestones"
    writer = api_as(world.a.email(PM), "write")
    created = writer.post(
        url,
        json={
            "kind": "blackout",
            "title": "Press embargo",
            "owner_organization_id": world.b.id,
            "due_on": "2027-03-10",
        },
    )
    assert created.status_code == 201, created.json
    milestone = created.json
    assert milestone["owner"] == {"id": world.b.id, "name": world.b.name}
    assert (milestone["kind"], milestone["due_on"], milestone["done"]) == (
        "blackout",
        "2027-03-10",
        False,
    )
    # No title: the kind's name; no owner: the caller's company.
    plain = writer.post(url, json={"kind": "go_live", "due_on": "2027-03-01"}).json
    assert (plain["title"], plain["owner"]["id"]) == ("Go live", world.a.id)

    partner = api_as(world.b.email("analyst"))
    assert [m["id"] for m in partner.get(url).json["items"]] == [plain["id"], milestone["id"]]

    done_url = f"{url}/{milestone['id']}/done"
    done = api_as(world.b.email(PM), "write").post(done_url)
    assert done.status_code == 200
    assert done.json["done"] is True and done.json["done_at"]
    again = writer.post(done_url)
    assert again.status_code == 200
    assert again.json["done_at"] == done.json["done_at"]


def test_refusals_store_nothing(app, world, api_as):
    joint, c_solo = _scene(app, world)
    url = f"/api/v1/campaigns/{joint}/milestones"
    writer = api_as(world.a.email(PM), "write")
    before = _count(app)
    cases = [
        ({"kind": "party", "due_on": "2027-03-10"}, "kind"),
        ({"kind": "launch"}, "due_on"),
        ({"kind": "launch", "due_on": "10/03/2027"}, "due_on"),
        ({"kind": "launch", "due_on": "2027-03-10", "owner_organization_id": world.c.id},
         "owner_organization_id"),
        ({"kind": "launch", "due_on": "2027-03-10", "title": "x" * 201}, "title"),
    ]  # fmt: skip
    for payload, field in cases:
        response = writer.post(url, json=payload)
        assert response.status_code == 422, (payload, response.json)
        assert error_of(response)["field"] == field
    good = {"kind": "launch", "due_on": "2027-03-10"}
    assert api_as(world.a.email(PM)).post(url, json=good).status_code == 403
    assert api_as(world.a.email("approver"), "write").post(url, json=good).status_code == 403
    # C's campaign, and a milestone of C's, are not found.
    assert writer.post(f"/api/v1/campaigns/{c_solo}/milestones", json=good).status_code == 404
    assert writer.get(f"/api/v1/campaigns/{c_solo}/milestones").status_code == 404
    with app.app_context():
        theirs = milestones.add_milestone(
            actor(world.c.email(PM)),
            c_solo,
            kind="launch",
            title="",
            owner_organization_id=world.c.id,
            due_on=ch.START,
        ).id
        db.session.remove()
    assert writer.post(f"{url}/{theirs}/done").status_code == 404
    assert writer.post(f"/api/v1/campaigns/{c_solo}/milestones/{theirs}/done").status_code == 404
    assert _count(app) == before + 1  # C's own, made above
    with app.app_context():
        assert db.session.get(Milestone, theirs).done_at is None


def test_a_retried_add_with_the_same_key_adds_one_milestone(app, world, api_as):
    joint, _ = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/campaigns/{joint}/milestones"
    body = {"kind": "review", "due_on": "2027-04-01"}
    headers = {"Idempotency-Key": "milestone-review"}
    first = writer.post(url, json=body, headers=headers)
    again = writer.post(url, json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert len(writer.get(url).json["items"]) == 1
