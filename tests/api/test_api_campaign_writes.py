"""Campaign writes over the API (issue 20): solo campaigns created and edited, the lifecycle
stepped (start / complete / cancel, 409 for a step it does not allow), placements added and
changed — by the same services and policy as the pages: 404 for another company's campaign or
placement, 403 for a read token or a role that does not manage campaigns, 422 naming the field,
Idempotency-Key honoured."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from comarketing.campaigns.models import Campaign, Placement
from comarketing.extensions import db
from tests import campaign_helpers as ch
from tests.api.conftest import error_of

PM = "partner_manager"
SOLO = {
    "name": "Autumn bake-off",
    "start_date": "2030-09-01",
    "end_date": "2030-10-31",
    "currency": "EUR",
    "total_budget_minor": 250_000,
    "target_leads": 40,
}


def _counts(app) -> tuple[int, int]:
    with app.app_context():
        campaigns = db.session.scalar(sa.select(sa.func.count()).select_from(Campaign))
        placements = db.session.scalar(sa.select(sa.func.count()).select_from(Placement))
        db.session.remove()
    return int(campaigns or 0), int(placements or 0)


def _joint(app, world) -> ch.JointCampaign:
    with app.app_context():
        joint = ch.joint_campaign(world)
        db.session.remove()
    return joint


def test_a_solo_campaign_is_created_seen_by_its_company_only_and_edited(app, world, api_as):
    writer = api_as(world.a.email(PM), "write")
    created = writer.post("/api/v1/campaigns", json=SOLO)
    assert created.status_code == 201, created.json
    body = created.json
    assert (body["kind"], body["status"], body["name"]) == ("solo", "planned", "Autumn bake-off")
    assert body["total_budget"] == {"amount": "2500.00", "currency": "EUR", "minor": 250_000}
    assert body["targets"] == {"reach": None, "leads": 40, "revenue": None}
    assert [p["organization"]["id"] for p in body["parties"]] == [world.a.id]
    campaign_id = body["id"]

    assert api_as(world.a.email("analyst")).get(f"/api/v1/campaigns/{campaign_id}").json == body
    partner = api_as(world.b.email("admin"))
    assert partner.get(f"/api/v1/campaigns/{campaign_id}").status_code == 404
    assert campaign_id not in [c["id"] for c in partner.get("/api/v1/campaigns").json["items"]]

    edited = writer.patch(
        f"/api/v1/campaigns/{campaign_id}",
        json={"name": "Autumn bake-off II", "target_leads": None},
    )
    assert edited.status_code == 200, edited.json
    assert edited.json["name"] == "Autumn bake-off II"
    assert edited.json["targets"]["leads"] is None
    # Fields left out keep their values.
    assert (edited.json["start_date"], edited.json["total_budget"]["minor"]) == (
        "2030-09-01",
        250_000,
    )


def test_refused_campaigns_name_the_field_and_store_nothing(app, world, api_as):
    writer = api_as(world.a.email(PM), "write")
    before = _counts(app)
    cases = [
        ({**SOLO, "end_date": "2030-08-01"}, "end_date"),
        ({**SOLO, "total_budget_minor": 10.5}, "total_budget_minor"),
        ({**SOLO, "total_budget_minor": -1}, "total_budget_minor"),
        ({**SOLO, "currency": "XXX"}, "currency"),
        ({**SOLO, "start_date": "1999-12-31"}, "start_date"),
        ({**SOLO, "name": ""}, "name"),
        ({key: value for key, value in SOLO.items() if key != "name"}, "name"),
        ({**SOLO, "end_date": "2040-01-01"}, "end_date"),  # longer than five years
    ]
    for payload, field in cases:
        response = writer.post("/api/v1/campaigns", json=payload)
        assert response.status_code == 422, (payload, response.json)
        assert error_of(response)["field"] == field, (payload, response.json)
    assert _counts(app) == before


def test_only_campaign_managers_with_a_write_token_create_campaigns(app, world, api_as):
    before = _counts(app)
    read_token = api_as(world.a.email(PM))
    assert read_token.post("/api/v1/campaigns", json=SOLO).status_code == 403
    for role in ("analyst", "approver"):
        response = api_as(world.a.email(role), "write").post("/api/v1/campaigns", json=SOLO)
        assert response.status_code == 403, role
        assert error_of(response)["status"] == 403
    assert _counts(app) == before


def test_a_retried_create_with_the_same_key_makes_one_campaign(app, world, api_as):
    writer = api_as(world.a.email(PM), "write")
    before = _counts(app)
    headers = {"Idempotency-Key": "create-autumn-1"}
    first = writer.post("/api/v1/campaigns", json=SOLO, headers=headers)
    again = writer.post("/api/v1/campaigns", json=SOLO, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _counts(app) == (before[0] + 1, before[1])
    other = writer.post("/api/v1/campaigns", json={**SOLO, "name": "Other"}, headers=headers)
    assert other.status_code == 422
    assert error_of(other)["field"] == "Idempotency-Key"


def test_the_lifecycle_steps_as_on_the_page_and_refuses_others_with_409(app, world, api_as):
    writer = api_as(world.a.email(PM), "write")
    campaign_id = writer.post("/api/v1/campaigns", json=SOLO).json["id"]
    url = f"/api/v1/campaigns/{campaign_id}"

    assert writer.post(f"{url}/complete").status_code == 409  # planned: not yet
    started = writer.post(f"{url}/start")
    assert started.status_code == 200 and started.json["status"] == "active"
    refused = writer.post(f"{url}/start")
    assert refused.status_code == 409
    assert "active" in error_of(refused)["message"]
    assert writer.post(f"{url}/complete").json["status"] == "completed"
    assert writer.post(f"{url}/cancel").status_code == 409
    assert api_as(world.a.email("analyst"), "write").post(f"{url}/cancel").status_code == 403

    # Another company's campaign is not found, whatever the step.
    partner = api_as(world.b.email("admin"), "write")
    for step in ("start", "complete", "cancel"):
        assert partner.post(f"{url}/{step}").status_code == 404
    assert partner.patch(url, json={"name": "Mine now"}).status_code == 404


def test_a_joint_campaign_keeps_its_terms_but_runs_its_lifecycle(app, world, api_as):
    joint = _joint(app, world)
    writer = api_as(world.b.email(PM), "write")
    refused = writer.patch(f"/api/v1/campaigns/{joint.id}", json={"name": "Renamed"})
    assert refused.status_code == 403
    # Either party runs the shared lifecycle; the other sees the new status.
    assert writer.post(f"/api/v1/campaigns/{joint.id}/start").json["status"] == "active"
    seen = api_as(world.a.email("analyst")).get(f"/api/v1/campaigns/{joint.id}")
    assert seen.json["status"] == "active"
    assert (
        api_as(world.c.email("admin"), "write")
        .post(f"/api/v1/campaigns/{joint.id}/cancel")
        .status_code
        == 404
    )


def test_each_party_adds_and_changes_its_own_placements(app, world, api_as):
    joint = _joint(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/campaigns/{joint.id}/placements"
    created = writer.post(
        url,
        json={
            "channel": "social",
            "name": "Alpha reels",
            "start_date": "2027-03-10",
            "end_date": "2027-03-20",
            "planned_cost_minor": 12_345,
            "flight_reach": 9_000,
        },
    )
    assert created.status_code == 201, created.json
    placement = created.json
    assert placement["owner"] == {"id": world.a.id, "name": world.a.name}
    assert placement["planned_cost"] == {"amount": "123.45", "currency": "EUR", "minor": 12_345}
    assert placement["flight_reach"] == 9_000
    listed = api_as(world.b.email("analyst")).get(url).json["items"]
    assert placement in listed

    # Empty dates take the campaign's; the owner defaults to the caller's company.
    plain = writer.post(url, json={"channel": "email", "name": "Alpha mailing"})
    assert (plain.json["start_date"], plain.json["end_date"]) == ("2027-03-01", "2027-04-30")

    change = f"{url}/{placement['id']}"
    moved = writer.patch(change, json={"end_date": "2027-03-25"})
    assert moved.status_code == 200, moved.json
    # New dates without a new reach: the old flight's reach is cleared, as on the page.
    assert (moved.json["end_date"], moved.json["flight_reach"]) == ("2027-03-25", None)
    assert moved.json["name"] == "Alpha reels"
    renamed = writer.patch(change, json={"name": "Alpha reels 2", "flight_reach": 7_500})
    assert (renamed.json["name"], renamed.json["flight_reach"]) == ("Alpha reels 2", 7_500)

    # B's placement: A sees it but may not change it; C does not see the campaign at all.
    b_change = f"{url}/{joint.b_placement}"
    assert writer.patch(b_change, json={"name": "Taken over"}).status_code == 403
    outsider = api_as(world.c.email("admin"), "write")
    assert outsider.patch(b_change, json={"name": "x"}).status_code == 404
    assert outsider.post(url, json={"channel": "email", "name": "x"}).status_code == 404
    # A placement named under another campaign's path is not found.
    other = writer.post("/api/v1/campaigns", json=SOLO).json["id"]
    assert (
        writer.patch(
            f"/api/v1/campaigns/{other}/placements/{placement['id']}", json={"name": "x"}
        ).status_code
        == 404
    )


def test_refused_placements_name_the_field_and_store_nothing(app, world, api_as):
    joint = _joint(app, world)
    writer = api_as(world.a.email(PM), "write")
    url = f"/api/v1/campaigns/{joint.id}/placements"
    before = _counts(app)
    cases = [
        ({"channel": "email", "name": "x", "end_date": "2027-05-01"}, 422, "end_date"),
        ({"channel": "email", "name": "x", "start_date": "2027-02-01"}, 422, "start_date"),
        ({"channel": "fax", "name": "x"}, 422, "channel"),
        ({"channel": "email", "name": "x", "url": "ftp://x"}, 422, "url"),
        ({"channel": "email", "name": "x", "planned_cost_minor": 1.5}, 422, "planned_cost_minor"),
        ({"channel": "email", "name": "x", "owner_organization_id": world.c.id}, 422,
         "owner_organization_id"),
        # B is a party, but each company adds its own placements.
        ({"channel": "email", "name": "x", "owner_organization_id": world.b.id}, 403, None),
    ]  # fmt: skip
    for payload, status, field in cases:
        response = writer.post(url, json=payload)
        assert response.status_code == status, (payload, response.json)
        assert error_of(response)["field"] == field, (payload, response.json)
    assert (
        api_as(world.a.email("analyst"), "write")
        .post(url, json={"channel": "email", "name": "x"})
        .status_code
        == 403
    )
    assert _counts(app) == before
    with app.app_context():
        assert db.session.get(Placement, joint.a_placement).end_date == date(2027, 4, 30)


def test_the_document_links_each_new_record_to_the_operations_that_take_it(client):
    """Stateful links (for clients and Schemathesis): every link names an operation of the
    document and fills exactly its path parameters from the answer's body."""
    spec = client.get("/api/v1/openapi.json").get_json()
    operations = {op["operationId"]: op for item in spec["paths"].values() for op in item.values()}
    links = {
        (source["operationId"], name): link
        for source in operations.values()
        for answer in source["responses"].values()
        for name, link in answer.get("links", {}).items()
    }
    assert {
        ("createCampaign", "startCampaign"),
        ("createPlacement", "updatePlacement"),
        ("createMilestone", "completeMilestone"),
        ("createCollateralAsset", "reviewCollateralAsset"),
        ("createOfferCollateralAsset", "downloadCollateralAsset"),
        ("createCollateralRequest", "deliverCollateralRequest"),
    } <= set(links)
    mine = {"createCampaign", "createPlacement", "createMilestone", "createCollateralAsset",
            "createOfferCollateralAsset", "createCollateralRequest"}  # fmt: skip
    for (source, _), link in links.items():
        if source not in mine:
            continue
        target = operations[link["operationId"]]
        path_params = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
        assert set(link["parameters"]) == path_params, link
        assert all(v.startswith("$response.body#/") for v in link["parameters"].values())


def test_the_list_filters_as_the_campaign_list_page_does(app, world, api_as):
    joint = _joint(app, world)  # A+B, 2027-03-01 to 2027-04-30
    writer = api_as(world.a.email(PM), "write")
    solo = writer.post("/api/v1/campaigns", json=SOLO).json["id"]  # 2030-09-01 to 2030-10-31
    writer.post(f"/api/v1/campaigns/{joint.id}/start")

    def ids(query: str) -> list[int]:
        response = writer.get(f"/api/v1/campaigns?{query}")
        assert response.status_code == 200, (query, response.json)
        return [c["id"] for c in response.json["items"]]

    assert ids("") == [solo, joint.id]
    assert ids("kind=solo") == [solo]
    assert ids("status=active") == [joint.id]
    assert ids(f"partner={world.b.id}") == [joint.id]
    assert ids(f"partner={world.c.id}") == []
    assert ids("from=2030-01-01") == [solo]
    assert ids("to=2027-03-01") == [joint.id]
    assert ids("from=2027-04-30&to=2030-09-01") == [solo, joint.id]
    for query, field in (
        ("kind=duo", "kind"),
        ("status=paused", "status"),
        ("from=2027-02-30", "from"),
    ):
        response = writer.get(f"/api/v1/campaigns?{query}")
        assert response.status_code == 422
        assert error_of(response)["field"] == field
