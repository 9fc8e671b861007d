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
    ],
)
def test_another_companys_collateral_answers_exactly_like_a_missing_one(
    app, scene: Scene, method, path, target
):
    client = client_as(app, scene.world.a.email("admin"))
    assert client.get("/dashboard").status_code == 200
    before = table_digests(app)
    body = {"version": "1", "decision": "approved"}
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
    assert changed == ["collateral_usage"]


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
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert scene.world.canary in response.get_data(as_text=True), url
    download = client.post(f"/collateral/assets/{p['bc_asset']}/download")
    assert download.status_code == 200
    assert scene.world.canary in download.headers["Content-Disposition"]
    download.close()
