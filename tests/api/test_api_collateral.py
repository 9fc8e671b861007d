"""Collateral over the API (issue 20): assets listed (paged, never another company's) and
read with their versions and reviews, added and versioned by multipart upload with the
pages' limits and content checks, reviewed (409 for a stale version or a second decision),
and downloaded — counted like the page's button, served as an attachment with safe headers,
counted once for a retry with the same Idempotency-Key."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa

from comarketing.collateral import assets
from comarketing.collateral.models import CollateralAsset, CollateralUsage, CollateralVersion
from comarketing.extensions import db
from comarketing.offers import proposals
from tests import factories
from tests.api.conftest import ApiClient, error_of
from tests.campaign_helpers import solo_campaign
from tests.collateral import samples
from tests.collateral.conftest import actor, joint_campaign, upload_image
from tests.collateral.test_polyglots import POLYGLOTS
from tests.offer_helpers import propose

PM = "partner_manager"


def _scene(app, world) -> tuple[int, int, int]:
    """A-B's joint campaign with A's image asset, and C's solo campaign with one of its own."""
    with app.app_context():
        campaign = joint_campaign(world)
        asset = upload_image(world, campaign).id
        gamma = solo_campaign(world.c.email(PM), f"Gamma {world.canary}")
        theirs = assets.create_asset(
            actor(world.c.email(PM)),
            gamma,
            assets.AssetInput(title=f"Gamma {world.canary}", party_ids=[world.c.id]),
            assets.VersionInput(stream=io.BytesIO(samples.png("black")), filename="g.png"),
        ).id
        db.session.remove()
    return campaign, asset, theirs


def _post_asset(client: ApiClient, campaign_id: int, content: bytes | None, **fields: Any):
    data: dict[str, Any] = {"title": "Recipe card", "audience": "customers", **fields}
    if content is not None:
        data["file"] = (io.BytesIO(content), "card.png")
    headers = fields.pop("headers", None) or {}
    data.pop("headers", None)
    return client.post(
        f"/api/v1/campaigns/{campaign_id}/collateral",
        data=data,
        content_type="multipart/form-data",
        headers=headers,
    )


def _stored(app) -> tuple[int, int, int]:
    with app.app_context():
        counts = tuple(
            int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
            for model in (CollateralAsset, CollateralVersion, CollateralUsage)
        )
        db.session.remove()
    return counts  # type: ignore[return-value]


def test_assets_are_listed_paged_and_never_another_companys(app, world, api_as):
    campaign, asset, theirs = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    second = _post_asset(writer, campaign, samples.pdf(), title="Leaflet")
    assert second.status_code == 201, second.json

    reader = api_as(world.b.email("analyst"))
    listed = reader.get("/api/v1/collateral").json
    assert [a["id"] for a in listed["items"]] == [second.json["id"], asset]
    assert (listed["total"], listed["has_more"]) == (2, False)
    page = reader.get("/api/v1/collateral?per_page=1&page=2").json
    assert ([a["id"] for a in page["items"]], page["has_more"]) == ([asset], False)
    assert reader.get("/api/v1/collateral?per_page=1").json["has_more"] is True
    first = listed["items"][1]
    assert (first["status"], first["for_customer_use"], first["kind"]) == (
        "in_review",
        False,
        "file",
    )
    assert first["current_version"]["media_type"] == "image/png"
    assert sorted(first["owners"]) == sorted([world.a.name, world.b.name])
    assert reader.get(f"/api/v1/collateral?campaign={campaign}&status=ready").json["items"] == []

    # C's asset and campaign: not found, never listed.
    assert world.canary not in reader.get("/api/v1/collateral").get_data(as_text=True)
    assert reader.get(f"/api/v1/collateral/assets/{theirs}").status_code == 404
    with app.app_context():
        gamma = db.session.get(CollateralAsset, theirs).campaign_id
    assert reader.get(f"/api/v1/collateral?campaign={gamma}").status_code == 404


def test_an_asset_is_read_with_its_versions_and_where_each_owner_stands(app, world, api_as):
    _, asset, _ = _scene(app, world)
    body = api_as(world.b.email("approver")).get(f"/api/v1/collateral/assets/{asset}").json
    assert [v["number"] for v in body["versions"]] == [1]
    [implicit] = body["versions"][0]["reviews"]
    assert (implicit["organization"]["id"], implicit["implicit"]) == (world.a.id, True)
    standing = {r["organization"]["id"]: r["decision"] for r in body["current_reviews"]}
    assert standing == {world.a.id: "approved", world.b.id: None}
    assert (body["may_review"], body["may_add_version"]) == (True, False)


def test_upload_review_new_version_and_ready(app, world, api_as):
    campaign, _, _ = _scene(app, world)
    a_writer = api_as(world.a.email(PM), "write")
    created = _post_asset(a_writer, campaign, samples.png("blue"), note="First cut")
    assert created.status_code == 201, created.json
    asset = created.json
    assert asset["versions"][0]["note"] == "First cut"
    assert asset["versions"][0]["review_due_at"]
    url = f"/api/v1/collateral/assets/{asset['id']}"

    b_approver = api_as(world.b.email("approver"), "write")
    no_comment = b_approver.post(
        f"{url}/review", json={"version": 1, "decision": "changes_requested"}
    )
    assert no_comment.status_code == 422 and error_of(no_comment)["field"] == "comment"
    changes = b_approver.post(
        f"{url}/review",
        json={"version": 1, "decision": "changes_requested", "comment": "Bigger logo"},
    )
    assert changes.status_code == 200, changes.json
    assert changes.json["status"] == "changes_requested"
    twice = b_approver.post(f"{url}/review", json={"version": 1, "decision": "approved"})
    assert twice.status_code == 409

    # B owns the asset too, so B's marketing may make the next version.
    upload = api_as(world.b.email(PM), "write").post(
        f"{url}/versions",
        data={"file": (io.BytesIO(samples.png("green")), "v2.png"), "note": "Logo bigger"},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 201, upload.json
    assert (upload.json["status"], upload.json["current_version"]["number"]) == ("in_review", 2)
    stale = api_as(world.a.email("approver"), "write").post(
        f"{url}/review", json={"version": 1, "decision": "approved"}
    )
    assert stale.status_code == 409
    ready = api_as(world.a.email("approver"), "write").post(
        f"{url}/review", json={"version": 2, "decision": "approved"}
    )
    assert ready.json["status"] == "ready" and ready.json["for_customer_use"] is True
    assert (
        api_as(world.a.email("analyst"), "write")
        .post(f"{url}/review", json={"version": 2, "decision": "approved"})
        .status_code
        == 403
    )


def test_uploads_are_checked_like_the_pages_and_refusals_keep_nothing(app, world, api_as):
    campaign, _, theirs = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    before = _stored(app)
    for name, make in POLYGLOTS.items():
        response = _post_asset(writer, campaign, make())
        assert response.status_code == 422, name
        assert error_of(response)["field"] == "file"
    refused = [
        (samples.windows_exe(), "file"),
        (samples.html(), "file"),
        (None, "file"),  # neither a file nor a link
    ]
    for content, field in refused:
        response = _post_asset(writer, campaign, content)
        assert response.status_code == 422
        assert error_of(response)["field"] == field
    both = _post_asset(writer, campaign, samples.png(), link="https://example.com/x")
    assert error_of(both)["field"] == "file"
    assert error_of(_post_asset(writer, campaign, samples.png(), audience="all"))["field"] == (
        "audience"
    )
    outsider = _post_asset(writer, campaign, samples.png(), parties=[str(world.c.id)])
    assert error_of(outsider)["field"] == "parties"
    assert _post_asset(api_as(world.a.email(PM)), campaign, samples.png()).status_code == 403
    analyst = api_as(world.a.email("analyst"), "write")
    assert _post_asset(analyst, campaign, samples.png()).status_code == 403
    with app.app_context():
        gamma = db.session.get(CollateralAsset, theirs).campaign_id
    assert _post_asset(writer, gamma, samples.png()).status_code == 404
    new_version = writer.post(
        f"/api/v1/collateral/assets/{theirs}/versions",
        data={"file": (io.BytesIO(samples.png()), "x.png")},
        content_type="multipart/form-data",
    )
    assert new_version.status_code == 404
    assert _stored(app) == before


def test_a_link_asset_takes_links_only(app, world, api_as):
    campaign, _, _ = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    created = _post_asset(writer, campaign, None, link="https://example.com/landing")
    assert created.status_code == 201, created.json
    assert created.json["kind"] == "link"
    url = f"/api/v1/collateral/assets/{created.json['id']}"
    bad = writer.post(f"{url}/versions", data={"link": "javascript:alert(1)"},
                      content_type="multipart/form-data")  # fmt: skip
    assert error_of(bad)["field"] == "link"
    good = writer.post(f"{url}/versions", data={"link": "https://example.com/v2"},
                       content_type="multipart/form-data")  # fmt: skip
    assert good.json["current_version"]["link"] == "https://example.com/v2"
    download = api_as(world.b.email("analyst")).post(f"{url}/download")
    assert download.status_code == 200
    assert download.json == {"version": 2, "link": "https://example.com/v2"}


def test_an_upload_over_the_collateral_limit_answers_413_naming_the_field(make_app, tmp_path):
    app = make_app(
        MAX_CONTENT_LENGTH=20_000,
        COLLATERAL_UPLOAD_MAX_BYTES=100_000,
        COLLATERAL_UPLOAD_DIR=str(tmp_path),
    )
    with app.app_context():
        world = factories.build_world()
        campaign = joint_campaign(world)
        db.session.remove()
    from comarketing.api import services
    from tests.api.conftest import actor_for

    with app.app_context():
        _, token = services.create_token(
            actor_for(world.a.email(PM)), name="up", scope="write", days=30
        )
        db.session.remove()
    writer = ApiClient(app.test_client(), token)
    # Above the general request limit, within the collateral one: accepted.
    assert _post_asset(writer, campaign, samples.png() + b"\x00" * 50_000).status_code == 201
    too_large = _post_asset(writer, campaign, samples.png() + b"\x00" * 200_000)
    assert too_large.status_code == 413
    error = error_of(too_large)
    assert error["field"] == "file" and "97.6 KB" in error["message"]


def test_a_download_is_counted_served_safely_and_counted_once_per_key(app, world, api_as):
    _, asset, theirs = _scene(app, world)
    reader = api_as(world.b.email("analyst"))  # a read token may download
    url = f"/api/v1/collateral/assets/{asset}/download"
    before = _stored(app)
    response = reader.post(url)
    assert response.status_code == 200
    assert response.data == samples.png()
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"
    response.close()
    assert _stored(app)[2] == before[2] + 1

    headers = {"Idempotency-Key": "download-1"}
    first = reader.post(url, headers=headers)
    again = reader.post(url, headers=headers)
    assert first.data == again.data == samples.png()
    assert again.headers["Idempotent-Replayed"] == "true"
    first.close()
    again.close()
    assert _stored(app)[2] == before[2] + 2  # the retry was served, not counted

    body = reader.get(f"/api/v1/collateral/assets/{asset}").json
    assert body["uses"] == 2
    assert {u["organization"] for u in body["recent_usage"]} == {world.b.name}
    assert reader.post(f"{url}?version=2").status_code == 404
    assert reader.post(f"/api/v1/collateral/assets/{theirs}/download").status_code == 404
    assert _stored(app)[2] == before[2] + 2


def test_a_draft_on_an_offer_is_seen_as_its_offer_is(app, world, api_as):
    with app.app_context():
        offer = propose(world.a.email(PM), [world.a.id, world.b.id])
        db.session.remove()
    writer = api_as(world.a.email(PM), "write")
    created = writer.post(
        f"/api/v1/offers/{offer}/collateral",
        data={"title": "Draft card", "file": (io.BytesIO(samples.png()), "d.png")},
        content_type="multipart/form-data",
    )
    assert created.status_code == 201, created.json
    draft = created.json
    assert (draft["offer_id"], draft["campaign_id"]) == (offer, None)
    assert draft["offer_status"] == "draft"
    assert draft["current_version"]["review_due_at"] is None  # waits for the offer to go out
    assert sorted(draft["owners"]) == sorted([world.a.name, world.b.name])
    assert [a["id"] for a in writer.get(f"/api/v1/collateral?offer={offer}").json["items"]] == [
        draft["id"]
    ]
    # Unsent: B does not see the offer, so neither its drafts.
    partner = api_as(world.b.email(PM), "write")
    assert partner.get(f"/api/v1/collateral/assets/{draft['id']}").status_code == 404
    assert partner.get(f"/api/v1/collateral?offer={offer}").status_code == 404
    assert partner.get("/api/v1/collateral").json["items"] == []
    with app.app_context():
        proposals.send(actor(world.a.email(PM)), offer)
        db.session.remove()
    seen = partner.get(f"/api/v1/collateral/assets/{draft['id']}").json
    assert seen["current_version"]["review_due_at"] and seen["may_review"] is False
    assert (
        api_as(world.c.email(PM), "write")
        .post(
            f"/api/v1/offers/{offer}/collateral",
            data={"title": "x", "file": (io.BytesIO(samples.png()), "d.png")},
            content_type="multipart/form-data",
        )
        .status_code
        == 404
    )


def test_the_list_runs_a_fixed_number_of_queries(app, world, api_as, query_counter):
    campaign, _, _ = _scene(app, world)
    writer = api_as(world.a.email(PM), "write")
    reader = api_as(world.b.email("analyst"))
    reader.get("/api/v1/me")  # the token's first use records it: not the list's work

    def count() -> int:
        with query_counter() as statements:
            assert reader.get("/api/v1/collateral?per_page=100").status_code == 200
        return len(statements)

    few = count()
    for n in range(5):
        assert _post_asset(writer, campaign, samples.png(), title=f"Card {n}").status_code == 201
    assert _post_asset(writer, campaign, None, link="https://example.com/l").status_code == 201
    assert count() == few


@pytest.mark.pg_only
def test_a_download_and_its_retry_racing_count_once(app, world, api_as):
    _, asset, _ = _scene(app, world)
    reader = api_as(world.b.email("analyst"))
    url = f"/api/v1/collateral/assets/{asset}/download"
    before = _stored(app)[2]
    gate = threading.Barrier(2)

    def send(key: str) -> Any:
        gate.wait(5)
        response = reader.post(url, headers={"Idempotency-Key": key})
        response.close()
        return response

    for attempt in range(3):
        with ThreadPoolExecutor(2) as pool:
            first, second = pool.map(send, [f"race-{attempt}"] * 2)
        statuses = sorted([first.status_code, second.status_code])
        # The loser saw the key in progress (409) or, arriving late, was served the same file.
        assert statuses in ([200, 200], [200, 409]), statuses
    assert _stored(app)[2] == before + 3
