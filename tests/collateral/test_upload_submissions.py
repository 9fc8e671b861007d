"""One-time submission tokens on collateral uploads (issue 19): a new material or a new version
posted twice with the same token is stored once, and the repeat leads to the first result."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from comarketing.collateral.models import CollateralAsset, CollateralVersion
from comarketing.extensions import db
from comarketing.submissions import ALREADY_SAVED
from tests.collateral import samples
from tests.collateral.conftest import upload_image
from tests.conftest import login

PM = "partner_manager"
TOKEN = r'name="submission_token" type="hidden" value="([^"]+)"'


def count(app, model: type) -> int:
    with app.app_context():
        found = db.session.scalar(sa.select(sa.func.count()).select_from(model))
        db.session.remove()
        return int(found or 0)


def post_twice(client, url: str, fields: dict[str, object]) -> str:
    answers = []
    for _ in range(2):  # a fresh file each time, as a browser resends it
        data = {**fields, "file": (io.BytesIO(samples.png()), "banner.png")}
        answers.append(client.post(url, data=data, content_type="multipart/form-data"))
    first, again = answers
    assert first.status_code == 303, first.get_data(as_text=True)[:500]
    assert again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert ALREADY_SAVED in client.get(again.headers["Location"]).get_data(as_text=True)
    return str(first.headers["Location"])


def test_a_new_material_posted_twice_is_stored_once(app, world, ab_campaign):
    client = app.test_client()
    login(client, world.a.email(PM))
    url = f"/campaigns/{ab_campaign}/collateral"
    # The page's other creating forms (a request for material) carry tokens of their own.
    page = client.get(url).get_data(as_text=True)
    [token] = [
        found
        for form in re.findall(r"<form\b.*?</form>", page, flags=re.S)
        if 'name="audience"' in form
        for found in re.findall(TOKEN, form)
    ]
    fields = {"title": "Banner", "audience": "customers", "submission_token": token}
    location = post_twice(client, url, fields)
    with app.app_context():
        [asset_id] = db.session.scalars(sa.select(CollateralAsset.id)).all()
        db.session.remove()
    assert location == f"/collateral/assets/{asset_id}"
    assert count(app, CollateralVersion) == 1


def test_a_new_version_posted_twice_is_stored_once(app, world, ab_campaign):
    with app.app_context():
        asset_id = upload_image(world, ab_campaign).id
        db.session.remove()
    client = app.test_client()
    login(client, world.a.email(PM))
    page = client.get(f"/collateral/assets/{asset_id}").get_data(as_text=True)
    [token] = re.findall(TOKEN, page)
    url = f"/collateral/assets/{asset_id}/versions"
    location = post_twice(client, url, {"note": "Brighter", "submission_token": token})
    assert location == f"/collateral/assets/{asset_id}"
    assert count(app, CollateralVersion) == 2
