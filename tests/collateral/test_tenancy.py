"""Tenancy of assets and downloads on the security scene: C's records answer A exactly like
missing ones, downloads included; and the canary of C's collateral does reach C's own pages
(positive control for the crawl in tests/security/test_canary.py, which covers these pages)."""

from __future__ import annotations

import pytest

from tests.security.conftest import Scene, client_as, normalised, table_digests


@pytest.mark.parametrize(
    ("method", "path", "target"),
    [
        ("GET", "/collateral/assets/{id}", "bc_asset"),
        ("GET", "/collateral/assets/{id}", "c_asset"),
        ("POST", "/collateral/assets/{id}/download", "bc_asset"),
        ("POST", "/collateral/assets/{id}/open", "c_asset"),
        ("POST", "/collateral/assets/{id}/review", "bc_asset"),
        ("GET", "/campaigns/{id}/collateral", "bc_campaign"),
        ("GET", "/campaigns/{id}/collateral/report", "c_solo_campaign"),
        ("POST", "/collateral/requests/{id}/vote", "bc_request"),
        # Drafts on offers: the B-C offer's, and B's on its unsent draft offer for A.
        ("GET", "/collateral/assets/{id}", "bc_offer_asset"),
        ("GET", "/collateral/assets/{id}", "ba_unsent_offer_asset"),
        ("POST", "/collateral/assets/{id}/download", "ba_unsent_offer_asset"),
        ("POST", "/collateral/assets/{id}/versions", "ba_unsent_offer_asset"),
        ("GET", "/offers/{id}/collateral", "ba_draft_offer"),
        ("GET", "/offers/{id}/collateral", "bc_sent_offer"),
        ("POST", "/offers/{id}/collateral", "bc_sent_offer"),
    ],
)
def test_another_companys_collateral_answers_exactly_like_a_missing_one(
    app, scene: Scene, method, path, target
):
    client = client_as(app, scene.world.a.email("admin"))
    assert client.get("/dashboard").status_code == 200
    before = table_digests(app)
    body = {"version": "1", "decision": "approved", "title": "Mine", "link": "https://e.x/y"}
    theirs = client.open(path.format(id=scene.placeholders[target]), method=method, data=body)
    missing = client.open(
        path.format(id=scene.placeholders["missing_id"]), method=method, data=body
    )
    assert theirs.status_code == 404
    assert normalised(theirs) == normalised(missing)
    assert scene.world.canary not in theirs.get_data(as_text=True)
    assert table_digests(app) == before, "a refused request changed the database"


def test_a_download_is_counted_and_a_get_changes_nothing(app, scene: Scene):
    client = client_as(app, scene.world.a.email("analyst"))
    url = f"/collateral/assets/{scene.placeholders['ab_asset']}"
    before = table_digests(app)
    assert client.get(url).status_code == 200
    assert table_digests(app) == before
    response = client.post(url + "/download")
    assert response.status_code == 200
    response.close()
    changed = [name for name, digest in table_digests(app).items() if before[name] != digest]
    # The download is shown (the asset's usage, the usage report): the parties' data versions
    # rise with it, so nothing kept shows the count before it.
    assert sorted(changed) == ["collateral_usage", "data_versions"]


@pytest.mark.parametrize(
    ("who", "target", "offer"),
    [
        # Another organization: C is no party to the A-B offer.
        ("c_admin", "ab_offer_asset", "ab_sent_offer"),
        # A partner before the offer is sent: B is a party to A's draft offer.
        ("b_admin", "ab_unsent_offer_asset", "ab_draft_offer"),
        ("b_partner_manager", "ab_unsent_offer_asset", "ab_draft_offer"),
    ],
)
def test_a_draft_answers_like_a_missing_one_to_whoever_cannot_see_its_offer(
    app, scene: Scene, who, target, offer
):
    company, role = who.split("_", 1)
    client = client_as(app, getattr(scene.world, company).email(role))
    assert client.get("/dashboard").status_code == 200
    before = table_digests(app)
    p = scene.placeholders
    for method, path, key in (
        ("GET", "/collateral/assets/{id}", target),
        ("POST", "/collateral/assets/{id}/download", target),
        ("POST", "/collateral/assets/{id}/open", target),
        ("GET", "/offers/{id}/collateral", offer),
    ):
        theirs = client.open(path.format(id=p[key]), method=method)
        missing = client.open(path.format(id=p["missing_id"]), method=method)
        assert theirs.status_code == 404, (method, path)
        assert normalised(theirs) == normalised(missing), (method, path)
    assert table_digests(app) == before, "a refused request changed the database"


def test_the_partner_sees_the_draft_once_the_offer_is_sent(app, scene: Scene):
    p = scene.placeholders
    a = client_as(app, scene.world.a.email("partner_manager"))
    b = client_as(app, scene.world.b.email("analyst"))
    asset_url = f"/collateral/assets/{p['ab_unsent_offer_asset']}"
    assert b.get(asset_url).status_code == 404
    assert a.post(f"/offers/{p['ab_draft_offer']}/send").status_code in (302, 303)
    page = b.get(asset_url)
    assert page.status_code == 200
    assert "Alpha draft teaser" in page.get_data(as_text=True)
    assert b.get(f"/offers/{p['ab_draft_offer']}/collateral").status_code == 200


def test_the_canary_of_cs_collateral_is_rendered_for_c_itself(app, scene: Scene):
    p = scene.placeholders
    client = client_as(app, scene.world.c.email("admin"))
    for url in (
        "/collateral",
        "/collateral/report",
        f"/collateral/assets/{p['c_asset']}",
        f"/collateral/assets/{p['bc_asset']}",
        f"/campaigns/{p['bc_campaign']}/collateral",
        f"/campaigns/{p['bc_campaign']}/collateral/report",
        f"/collateral/assets/{p['bc_offer_asset']}",
        f"/offers/{p['bc_sent_offer']}/collateral",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert scene.world.canary in response.get_data(as_text=True), url
    download = client.post(f"/collateral/assets/{p['bc_asset']}/download")
    assert download.status_code == 200
    assert scene.world.canary in download.headers["Content-Disposition"]
    download.close()
