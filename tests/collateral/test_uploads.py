"""Upload security: size limit (413), types recognised by content, names cleaned, files stored
by SHA-256 and served as attachments (inline only for images and PDF) with nosniff and a
sandboxing CSP."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from comarketing.collateral import files
from comarketing.collateral.models import CollateralAsset, CollateralVersion
from comarketing.extensions import db
from tests.collateral import samples

PM = "partner_manager"


def post_asset(client, campaign_id: int, content: bytes, filename: str, **extra):
    data = {
        "title": extra.pop("title", "Banner"),
        "audience": "customers",
        "file": (io.BytesIO(content), filename),
        **extra,
    }
    return client.post(
        f"/campaigns/{campaign_id}/collateral", data=data, content_type="multipart/form-data"
    )


def stored_versions(app) -> list[CollateralVersion]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(CollateralVersion)))
        db.session.remove()
    return rows


@pytest.mark.parametrize(
    ("make", "filename", "media_type"),
    [
        (samples.png, "a.png", "image/png"),
        (samples.jpeg, "a.jpg", "image/jpeg"),
        (samples.pdf, "a.pdf", "application/pdf"),
        (samples.pptx, "deck.pptx", files.PPTX.media_type),
        (samples.docx, "brief.docx", files.DOCX.media_type),
        (samples.mp4, "clip.mp4", "video/mp4"),
        (samples.webm, "clip.webm", "video/webm"),
        # The name does not decide: a PNG called .pdf is still a PNG.
        (samples.png, "looks-like.pdf", "image/png"),
    ],
)
def test_accepted_types_are_recognised_by_content(
    app, client, login_as, world, ab_campaign, make, filename, media_type
):
    login_as(world.a.email(PM))
    content = make()
    response = post_asset(client, ab_campaign, content, filename)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    (version,) = stored_versions(app)
    assert version.media_type == media_type
    assert version.file_hash == hashlib.sha256(content).hexdigest()
    stored = Path(app.config["COLLATERAL_UPLOAD_DIR"]) / f"{version.file_hash}.asset"
    assert stored.read_bytes() == content
    assert (version.thumbnail is not None) == media_type.startswith("image/")


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (samples.windows_exe(), "brochure.pdf"),  # a renamed executable
        (samples.plain_zip(), "deck.pptx"),  # a zip that is no OOXML document
        (samples.html(), "banner.png"),
        (b"", "empty.png"),
    ],
)
def test_other_content_is_refused_whatever_its_name(
    app, client, login_as, world, ab_campaign, content, filename
):
    login_as(world.a.email(PM))
    response = post_asset(client, ab_campaign, content, filename)
    assert response.status_code == 422
    assert stored_versions(app) == []
    leftovers = [p for p in Path(app.config["COLLATERAL_UPLOAD_DIR"]).glob("partial-*")]
    assert leftovers == []


def test_an_oversized_upload_answers_413_and_stores_nothing(make_app, world_for, tmp_path):
    app = make_app(COLLATERAL_UPLOAD_MAX_BYTES=50_000, COLLATERAL_UPLOAD_DIR=str(tmp_path))
    world, campaign_id = world_for(app)
    client = app.test_client()
    client.post(
        "/login", data={"email": world.a.email(PM), "password": "correct horse battery staple"}
    )
    just_over = samples.png() + b"\x00" * 50_000  # past the limit, within the multipart slack
    far_over = samples.png() + b"\x00" * 200_000  # past the request limit itself
    for content in (just_over, far_over):
        response = post_asset(client, campaign_id, content, "big.png")
        assert response.status_code == 413
    assert stored_versions(app) == []
    assert [p.name for p in tmp_path.iterdir()] == []


@pytest.fixture
def world_for():
    from tests import factories
    from tests.collateral.conftest import joint_campaign

    def build(app):
        with app.app_context():
            world = factories.build_world()
            campaign_id = joint_campaign(world)
            db.session.remove()
        return world, campaign_id

    return build


@pytest.mark.parametrize(
    ("sent", "shown", "download"),
    [
        ("../../etc/passwd.png", "passwd.png", "passwd.png"),
        ("report.pdf", "report.pdf", "report.png"),  # the extension follows the content
    ],
)
def test_file_names_sent_over_http_lose_their_folders(
    app, client, login_as, world, ab_campaign, sent, shown, download
):
    login_as(world.a.email(PM))
    assert post_asset(client, ab_campaign, samples.png(), sent).status_code == 303
    (version,) = stored_versions(app)
    assert version.filename == shown
    response = client.post(f"/collateral/assets/{version.asset_id}/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename={download}"
    response.close()


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("C:\\Users\\me\\banner.png", "banner.png"),
        ('evil"\r\nSet-Cookie: x=1;.png', "evilSet-Cookie: x=1.png"),
        ("..\\..\\.htaccess", "htaccess"),
        ("\x00\x1b[31mred.png", "[31mred.png"),
        ("", "file"),
    ],
)
def test_names_with_separators_crlf_and_quotes_are_cleaned(sent, shown):
    assert files.clean_filename(sent) == shown


def test_a_crlf_and_quote_name_cannot_split_or_break_the_download_header(
    app, client, login_as, world, ab_campaign
):
    from tests.collateral.conftest import actor

    with app.app_context():
        from comarketing.collateral import assets

        data = assets.AssetInput(title="Banner", audience="sales")
        first = assets.VersionInput(
            stream=io.BytesIO(samples.png()), filename='a"b\r\nX-Evil: 1;\\c.png'
        )
        asset_id = assets.create_asset(actor(world.a.email(PM)), ab_campaign, data, first).id
        db.session.remove()
    login_as(world.a.email(PM))
    response = client.post(f"/collateral/assets/{asset_id}/download")
    assert response.status_code == 200
    assert "X-Evil" not in response.headers
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "\r" not in disposition and "\n" not in disposition and '"' not in disposition[22:-1]
    response.close()


def test_downloads_are_attachments_and_only_images_and_pdf_open_inline(
    app, client, login_as, world, ab_campaign
):
    login_as(world.a.email(PM))
    ids = {}
    for name, content in (
        ("a.png", samples.png()),
        ("a.pdf", samples.pdf()),
        ("d.docx", samples.docx()),
    ):
        assert post_asset(client, ab_campaign, content, name, title=name).status_code == 303
    with app.app_context():
        ids = dict(db.session.execute(sa.select(CollateralAsset.title, CollateralAsset.id)).all())
        db.session.remove()
    for name, inline in (("a.png", True), ("a.pdf", True), ("d.docx", False)):
        opened = client.post(f"/collateral/assets/{ids[name]}/open")
        downloaded = client.post(f"/collateral/assets/{ids[name]}/download")
        for response in (opened, downloaded):
            assert response.status_code == 200
            assert response.headers["X-Content-Type-Options"] == "nosniff"
            csp = response.headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "sandbox" in csp
            assert response.headers["Cache-Control"] == "no-store"
        assert opened.headers["Content-Disposition"].startswith(
            "inline" if inline else "attachment"
        )
        assert downloaded.headers["Content-Disposition"].startswith("attachment")
        opened.close()
        downloaded.close()


def test_get_cannot_download(client, login_as, world, ab_campaign, app):
    login_as(world.a.email(PM))
    post_asset(client, ab_campaign, samples.png(), "a.png")
    (version,) = stored_versions(app)
    assert client.get(f"/collateral/assets/{version.asset_id}/download").status_code == 405
