"""A file that is an image or a PDF and also a web page (a polyglot) is refused at upload, and
one stored before that check is only ever served as an attachment (SECURITY.md 56)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image, PngImagePlugin

from comarketing.collateral.models import CollateralAsset, CollateralVersion
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.storage import _SCAN_BLOCK, contains_markup
from tests.collateral import samples
from tests.collateral.test_uploads import post_asset, stored_versions

PM = "partner_manager"
PAYLOAD = "<html><body><script>alert(document.cookie)</script></body></html>"


def png_with_text(text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(out, format="PNG", pnginfo=info)
    return out.getvalue()


POLYGLOTS = {
    "png-text-chunk": lambda: png_with_text(PAYLOAD),
    "png-after-iend": lambda: samples.png() + b"\n<SCRIPT src=//evil.example/x.js></SCRIPT>",
    "jpeg-comment": lambda: samples.jpeg() + b"<!DOCTYPE html><p>hi",
    "pdf-comment": lambda: samples.pdf("<iframe src=https://evil.example>"),
}


@pytest.mark.parametrize("make", POLYGLOTS.values(), ids=POLYGLOTS.keys())
def test_a_polyglot_upload_is_refused_and_not_kept(app, client, login_as, world, ab_campaign, make):
    login_as(world.a.email(PM))
    content = make()
    if not content.startswith(b"%PDF"):
        Image.open(io.BytesIO(content)).verify()  # a real image all the same
    response = post_asset(client, ab_campaign, content, "banner.png")
    assert response.status_code == 422
    assert "web page code" in response.get_data(as_text=True)
    assert stored_versions(app) == []
    folder = Path(app.config["COLLATERAL_UPLOAD_DIR"])
    assert not [p for p in folder.glob("partial-*")]


def test_ordinary_images_and_documents_with_angle_brackets_are_accepted(
    app, client, login_as, world, ab_campaign
):
    login_as(world.a.email(PM))
    for name, content in (
        ("a.png", png_with_text("Price <20 EUR> for <b>members</b>, <htmlish> <bodyguard>")),
        ("b.pdf", samples.pdf("x < y and <<dict>>")),
    ):
        response = post_asset(client, ab_campaign, content, name, title=name)
        assert response.status_code == 303, response.get_data(as_text=True)[:300]


def test_a_polyglot_stored_before_the_check_opens_only_as_an_attachment(
    app, client, login_as, world, ab_campaign
):
    login_as(world.a.email(PM))
    assert post_asset(client, ab_campaign, samples.png(), "a.png").status_code == 303
    (version,) = stored_versions(app)
    path = Path(app.config["COLLATERAL_UPLOAD_DIR"]) / f"{version.file_hash}.asset"
    path.write_bytes(POLYGLOTS["png-after-iend"]())  # as an older release let it in
    with app.app_context():
        asset_id = db.session.scalar(sa.select(CollateralAsset.id))
        db.session.remove()
    opened = client.post(f"/collateral/assets/{asset_id}/open")
    assert opened.status_code == 200
    assert opened.headers["Content-Disposition"].startswith("attachment")
    assert opened.headers["Content-Type"] == "image/png"
    assert opened.headers["X-Content-Type-Options"] == "nosniff"
    csp = opened.headers["Content-Security-Policy"]
    assert "sandbox" in csp and "default-src 'none'" in csp
    opened.close()
    path.write_bytes(samples.png())
    clean = client.post(f"/collateral/assets/{asset_id}/open")
    assert clean.headers["Content-Disposition"].startswith("inline")
    clean.close()
    assert isinstance(version, CollateralVersion)


def test_markup_split_across_read_blocks_is_found(tmp_path: Path) -> None:
    path = tmp_path / "x.png"
    tag = b"<script>"
    path.write_bytes(b"\x89PNG" + b"\0" * (_SCAN_BLOCK - 7) + tag + b"\0" * 100)
    assert contains_markup(path)
    path.write_bytes(b"\x89PNG" + b"\0" * (_SCAN_BLOCK * 2) + b"<scrip t>")
    assert not contains_markup(path)


def test_claim_proofs_refuse_polyglots_too(app, ctx, world) -> None:
    from tests.unit.test_claims import claim, joint_campaign

    campaign = joint_campaign(world)
    with pytest.raises(ValidationFailed) as refused:
        claim(world, campaign, files=[(samples.pdf("<script>x</script>"), "invoice.pdf")])
    assert refused.value.field == "proof"
    assert "web page code" in refused.value.message
