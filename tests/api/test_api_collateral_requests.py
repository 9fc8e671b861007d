"""Material requests and the collateral usage reports over the API (issue 20): ask, +1 once
per person, take, deliver with an asset of the campaign (409 for a step the workflow does not
allow, 422 naming `asset_id` for any other asset), the same request rows as the library
page; the reports count downloads per party; another company's request, campaign or report
answers 404 and never shows up."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from comarketing.collateral import assets, requests
from comarketing.collateral.models import CollateralRequest
from comarketing.extensions import db
from tests.api.conftest import error_of
from tests.campaign_helpers import solo_campaign
from tests.collateral import samples
from tests.collateral.conftest import actor, joint_campaign, upload_image
from tests.concurrency import at_once

PM = "partner_manager"


def _scene(app, world) -> dict[str, int]:
    with app.app_context():
        campaign = joint_campaign(world)
        asset = upload_image(world, campaign).id
        gamma = solo_campaign(world.c.email(PM), f"Gamma {world.canary}")
        gamma_asset = assets.create_asset(
            actor(world.c.email(PM)),
            gamma,
            assets.AssetInput(title=f"Gamma {world.canary}", party_ids=[world.c.id]),
            assets.VersionInput(stream=io.BytesIO(samples.png("black")), filename="g.png"),
        ).id
        db.session.remove()
    return {"campaign": campaign, "asset": asset, "gamma": gamma, "gamma_asset": gamma_asset}


def _requests(app) -> int:
    with app.app_context():
        found = db.session.scalar(sa.select(sa.func.count()).select_from(CollateralRequest))
        db.session.remove()
    return int(found or 0)


def test_a_request_is_asked_voted_taken_and_delivered(app, world, api_as):
    scene = _scene(app, world)
    url = f"/api/v1/campaigns/{scene['campaign']}/collateral/requests"
    asker = api_as(world.b.email("analyst"), "write")
    created = asker.post(url, json={"title": "A one-pager for buyers", "description": "A4"})
    assert created.status_code == 201, created.json
    request = created.json
    assert (request["status"], request["organization"], request["votes"]) == (
        "open",
        world.b.name,
        0,
    )
    step = f"/api/v1/collateral/requests/{request['id']}"
    a_analyst = api_as(world.a.email("analyst"), "write")
    voted = a_analyst.post(f"{step}/vote")
    assert (voted.json["votes"], voted.json["voted"]) == (1, True)
    assert a_analyst.post(f"{step}/vote").json["votes"] == 1  # once per person
    assert asker.get(url).json["items"][0]["voted"] is False

    maker = api_as(world.a.email(PM), "write")
    assert asker.post(f"{step}/take").status_code == 403  # analysts do not make materials
    taken = maker.post(f"{step}/take")
    assert (taken.json["status"], taken.json["taken_at"] is not None) == ("taken", True)
    assert maker.post(f"{step}/take").status_code == 409

    wrong = maker.post(f"{step}/deliver", json={"asset_id": scene["gamma_asset"]})
    assert wrong.status_code == 422 and error_of(wrong)["field"] == "asset_id"
    delivered = maker.post(f"{step}/deliver", json={"asset_id": scene["asset"]})
    assert delivered.status_code == 200, delivered.json
    assert (delivered.json["status"], delivered.json["asset_id"]) == ("delivered", scene["asset"])
    assert delivered.json["asset_title"] == "Shelf banner"
    assert maker.post(f"{step}/deliver", json={"asset_id": scene["asset"]}).status_code == 409
    assert a_analyst.post(f"{step}/vote").status_code == 409


def test_requests_of_other_companies_are_not_found_and_refusals_store_nothing(app, world, api_as):
    scene = _scene(app, world)
    with app.app_context():
        theirs = requests.create_request(
            actor(world.c.email(PM)), scene["gamma"], title=f"Gamma ask {world.canary}"
        ).id
        db.session.remove()
    before = _requests(app)
    a_pm = api_as(world.a.email(PM), "write")
    gamma_url = f"/api/v1/campaigns/{scene['gamma']}/collateral/requests"
    assert a_pm.get(gamma_url).status_code == 404
    assert a_pm.post(gamma_url, json={"title": "x"}).status_code == 404
    for step in ("vote", "take"):
        assert a_pm.post(f"/api/v1/collateral/requests/{theirs}/{step}").status_code == 404
    deliver = a_pm.post(
        f"/api/v1/collateral/requests/{theirs}/deliver", json={"asset_id": scene["asset"]}
    )
    assert deliver.status_code == 404
    url = f"/api/v1/campaigns/{scene['campaign']}/collateral/requests"
    empty = a_pm.post(url, json={"title": ""})
    assert empty.status_code == 422 and error_of(empty)["field"] == "title"
    assert api_as(world.a.email(PM)).post(url, json={"title": "x"}).status_code == 403
    assert _requests(app) == before
    assert world.canary not in a_pm.get(url).get_data(as_text=True)


def test_the_usage_reports_count_each_partys_downloads(app, world, api_as):
    scene = _scene(app, world)
    download = f"/api/v1/collateral/assets/{scene['asset']}/download"
    for email in (world.a.email("analyst"), world.b.email("analyst"), world.b.email(PM)):
        api_as(email).post(download).close()
    reader = api_as(world.b.email("approver"))
    report = reader.get(f"/api/v1/campaigns/{scene['campaign']}/collateral/report").json
    assert report["parties"] == sorted(
        [{"id": world.a.id, "name": world.a.name}, {"id": world.b.id, "name": world.b.name}],
        key=lambda p: p["name"],
    )
    [row] = report["rows"]
    assert (row["asset_id"], row["uses"], row["uses_since_ready"]) == (scene["asset"], 3, 0)
    assert row["by_party"] == sorted(
        [{"organization_id": world.a.id, "uses": 1}, {"organization_id": world.b.id, "uses": 2}],
        key=lambda p: p["organization_id"],
    )
    assert (report["total_uses"], report["ready"], report["ready_unused_share"]) == (3, 0, None)
    assert row["hours_to_ready"] is None

    company = reader.get("/api/v1/collateral/report").json
    assert [r["asset_id"] for r in company["rows"]] == [scene["asset"]]
    assert world.canary not in reader.get("/api/v1/collateral/report").get_data(as_text=True)
    assert reader.get(f"/api/v1/campaigns/{scene['gamma']}/collateral/report").status_code == 404


@pytest.mark.pg_only
def test_two_companies_taking_one_request_at_once_one_wins(app, world, api_as):
    scene = _scene(app, world)
    url = f"/api/v1/campaigns/{scene['campaign']}/collateral/requests"
    created = api_as(world.a.email("analyst"), "write").post(url, json={"title": "Poster"}).json
    takers = [api_as(world.a.email(PM), "write"), api_as(world.b.email(PM), "write")]
    outcomes = at_once(
        app,
        [lambda t=t: t.post(f"/api/v1/collateral/requests/{created['id']}/take") for t in takers],
    )
    assert sorted(r.status_code for r in outcomes) == [200, 409]  # type: ignore[attr-defined]
