"""Uploaded results files are kept only while an import needs them (SECURITY.md 56): refused
and discarded ones go at once, imported ones after ``flask uploads purge --older-than 30d``;
the imports' history keeps their digests."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from flask import Flask

from comarketing.extensions import db
from comarketing.metrics import retention
from comarketing.metrics.models import MetricImport
from tests.metrics.conftest import PM, Scene, import_id_from, queue_unchecked, upload

HEADER = "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost\n"
GOOD = (HEADER + "2027-03-01,Alpha newsletter,100,50,5,0,0,0,1.00\n").encode()
BAD_ROW = (HEADER + "2027-03-02,Alpha newsletter,100,150,5,0,0,0,1.00\n").encode()
DAY = 24 * 3600


@pytest.fixture
def own_app(make_app, tmp_path: Path) -> Flask:
    """An app whose results files go to a folder of this test only."""
    return make_app(METRICS_UPLOAD_DIR=str(tmp_path))


def kept(app: Flask, content: bytes) -> bool:
    folder = Path(app.config["METRICS_UPLOAD_DIR"])
    return (folder / f"{hashlib.sha256(content).hexdigest()}.upload").exists()


def client_for(app: Flask, email: str):
    from tests.conftest import login

    client = app.test_client()
    login(client, email)
    return client


def status_of(app: Flask, import_id: int) -> MetricImport:
    with app.app_context():
        metric_import = db.session.get(MetricImport, import_id)
        assert metric_import is not None
        db.session.expunge(metric_import)
        return metric_import


def age(path: Path, days: float) -> None:
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp))


def test_a_refused_upload_is_not_kept(own_app: Flask, scene: Scene) -> None:
    client = client_for(own_app, scene.world.a.email(PM))
    refused = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100  # an old Excel file
    response = upload(client, refused, "report.xls")
    assert response.status_code == 422
    assert not kept(own_app, refused)
    assert list(Path(own_app.config["METRICS_UPLOAD_DIR"]).iterdir()) == []


def test_a_discarded_upload_is_deleted_at_once(own_app: Flask, scene: Scene) -> None:
    client = client_for(own_app, scene.world.a.email(PM))
    import_id = import_id_from(upload(client, GOOD))
    assert kept(own_app, GOOD)
    response = client.post(f"/metrics/imports/{import_id}/discard")
    assert response.status_code == 302
    assert not kept(own_app, GOOD)
    # The history keeps what the file was.
    assert status_of(own_app, import_id).file_hash == hashlib.sha256(GOOD).hexdigest()


def test_the_same_file_waiting_in_another_preview_is_kept(own_app: Flask, scene: Scene) -> None:
    client = client_for(own_app, scene.world.a.email(PM))
    first = import_id_from(upload(client, GOOD))
    second = import_id_from(upload(client, GOOD))
    client.post(f"/metrics/imports/{first}/discard")
    assert kept(own_app, GOOD)  # the second preview still reads it
    client.post(f"/metrics/imports/{second}/discard")
    assert not kept(own_app, GOOD)


def test_a_file_refused_by_its_run_and_a_duplicate_are_deleted(
    own_app: Flask, scene: Scene
) -> None:
    from comarketing.metrics import runs

    client = client_for(own_app, scene.world.a.email(PM))
    bad = import_id_from(upload(client, BAD_ROW))
    with own_app.app_context():
        queue_unchecked(bad)
        runs.run_import(bad)
        db.session.remove()
    assert status_of(own_app, bad).status == "failed"
    assert not kept(own_app, BAD_ROW)

    done = import_id_from(upload(client, GOOD))
    client.post(f"/metrics/imports/{done}/confirm")
    assert status_of(own_app, done).status == "succeeded"
    assert kept(own_app, GOOD)  # imported: kept until the purge
    again = import_id_from(upload(client, GOOD))
    client.post(f"/metrics/imports/{again}/confirm")
    assert status_of(own_app, again).status == "duplicate"
    assert not kept(own_app, GOOD)


def test_purge_removes_old_files_no_import_needs(own_app: Flask, scene: Scene) -> None:
    folder = Path(own_app.config["METRICS_UPLOAD_DIR"])
    client = client_for(own_app, scene.world.a.email(PM))
    done = import_id_from(upload(client, GOOD))
    client.post(f"/metrics/imports/{done}/confirm")
    import_id_from(upload(client, BAD_ROW))  # an old preview nobody confirmed
    recent = HEADER.encode() + b"2027-03-03,Alpha newsletter,100,50,5,0,0,0,1.00\n"
    recent_id = import_id_from(upload(client, recent))
    client.post(f"/metrics/imports/{recent_id}/confirm")
    orphan = folder / ("0" * 64 + ".upload")  # its import's rows are long gone
    orphan.write_bytes(b"x")
    partial = folder / "partial-0123456789abcdef"  # a transfer that died
    partial.write_bytes(b"half")
    fresh_partial = folder / "partial-fedcba9876543210"  # a transfer going on now
    fresh_partial.write_bytes(b"half")
    for path in folder.iterdir():
        if path.name not in {fresh_partial.name} and not path.name.startswith(
            hashlib.sha256(recent).hexdigest()
        ):
            age(path, 31)
    other = folder / "notes.txt"  # not ours: never touched
    other.write_text("keep")
    age(other, 400)

    result = own_app.test_cli_runner().invoke(args=["uploads", "purge", "--older-than", "30d"])
    assert result.exit_code == 0, result.output
    assert "Removed 3 file(s)" in result.output
    assert "kept 1 still needed" in result.output
    assert not kept(own_app, GOOD) and not orphan.exists() and not partial.exists()
    assert kept(own_app, BAD_ROW)  # the preview may still be confirmed
    assert kept(own_app, recent) and fresh_partial.exists() and other.exists()
    # The history keeps the digest: the same file again is still recognised.
    assert status_of(own_app, done).file_hash == hashlib.sha256(GOOD).hexdigest()
    again = import_id_from(upload(client, GOOD))
    preview = client.get(f"/metrics/imports/{again}").get_data(as_text=True)
    assert 'data-testid="duplicate-warning"' in preview


@pytest.mark.parametrize("text", ["", "30", "d", "0d", "30w", "-3d", "30 d x"])
def test_purge_refuses_an_age_it_cannot_read(own_app: Flask, text: str) -> None:
    result = own_app.test_cli_runner().invoke(args=["uploads", "purge", "--older-than", text])
    assert result.exit_code != 0
    assert "30d, 12h or 90m" in result.output
    with pytest.raises(ValueError):
        retention.parse_age(text)
