"""Text encodings of uploaded result files (issue 15): UTF-8 and UTF-16 as before; other text
is read as Windows-1252 when it decodes cleanly, and the preview says so with a sample line
before anything is stored; text that is not even Windows-1252 is refused."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
import sqlalchemy as sa

from comarketing.campaigns.models import Placement
from comarketing.extensions import db
from comarketing.metrics import reading
from comarketing.metrics.models import MetricImport
from tests.metrics.conftest import PM, import_id_from, upload
from tests.metrics.test_write_path import confirm, stored

CP1252_FILE = "Datum;Platzierung;Impressionen;Kosten (€)\n01.03.2027;Café Müller;1.200;12,50\n"


def rename_placement(app, placement_id: int, name: str) -> None:
    with app.app_context():
        db.session.get(Placement, placement_id).name = name
        db.session.commit()
        db.session.remove()


def map_columns(client, import_id: int) -> None:
    response = client.post(
        f"/metrics/imports/{import_id}/settings",
        data={
            "columns": "4",
            "column-0": "day",
            "column-1": "placement",
            "column-2": "impressions",
            "column-3": "cost",
            "date_order": "dmy",
            "decimal": ",",
            "placement_id": "",
        },
    )
    assert response.status_code == 302


def test_a_windows_1252_file_is_read_as_such_and_the_preview_says_so(app, client, login_as, scene):
    rename_placement(app, scene.a_placement, "Café Müller")
    login_as(scene.world.a.email(PM))
    content = CP1252_FILE.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    import_id = import_id_from(upload(client, content))
    map_columns(client, import_id)

    preview = html.unescape(client.get(f"/metrics/imports/{import_id}").get_data(as_text=True))
    assert 'data-testid="encoding-notice"' in preview
    assert "it is read as Windows-1252" in preview
    notice = preview.split('data-testid="encoding-notice"')[1].split("</div>\n</div>")[0]
    assert "Line 1 as it will be read" in notice
    assert "Datum;Platzierung;Impressionen;Kosten (€)" in notice
    assert "Kosten (€)" in preview  # the header, in the mapping table
    assert "Café Müller" in preview.split('data-testid="preview-rows"')[1]
    assert 'data-testid="confirm-import" disabled' not in preview
    with app.app_context():
        settings = db.session.get(MetricImport, import_id).settings
        assert settings["layout"]["encoding"] == "cp1252"
        assert settings["layout"]["headers"][3] == "Kosten (€)"

    assert confirm(client, import_id).status == "succeeded"
    assert stored(app) == [
        (scene.a_placement, "2027-03-01", 1200, None, None, None, None, None, 1250)
    ]


def test_a_byte_windows_1252_leaves_undefined_is_refused_with_its_line(
    app, client, login_as, scene
):
    login_as(scene.world.a.email(PM))
    for byte in (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"):
        content = (
            b"date,placement,impressions\n2027-03-01,Caf\xe9 M\xfcller,1\n2027-03-02,X"
            + byte
            + b",2\n"
        )
        response = upload(client, content)
        assert response.status_code == 422
        text = html.unescape(response.get_data(as_text=True))
        assert "not valid UTF-8 or Windows-1252 text: line 3 holds the byte" in text
        assert f"0x{byte[0]:02X}" in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(MetricImport.id))) == 0
    assert stored(app) == []


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_utf8_and_utf16_files_are_read_as_before_without_a_notice(
    app, client, login_as, scene, encoding
):
    rename_placement(app, scene.a_placement, "Café Müller")
    login_as(scene.world.a.email(PM))
    import_id = import_id_from(upload(client, CP1252_FILE.encode(encoding)))
    map_columns(client, import_id)
    preview = html.unescape(client.get(f"/metrics/imports/{import_id}").get_data(as_text=True))
    assert 'data-testid="encoding-notice"' not in preview
    assert "Café Müller" in preview.split('data-testid="preview-rows"')[1]
    with app.app_context():
        layout = db.session.get(MetricImport, import_id).settings["layout"]
        assert layout["encoding"] == encoding
    assert confirm(client, import_id).status == "succeeded"
    assert stored(app) == [
        (scene.a_placement, "2027-03-01", 1200, None, None, None, None, None, 1250)
    ]


def test_detection_in_the_reading_module(tmp_path: Path):
    ascii_only = tmp_path / "a.csv"
    ascii_only.write_bytes(b"date,impressions\n2027-03-01,1\n")
    assert reading.detect_layout(ascii_only).encoding == "utf-8"
    assert reading.encoding_sample(ascii_only, "utf-8") is None

    latin = tmp_path / "l.csv"
    latin.write_bytes("date,impressions\n2027-03-01,1\n# Zürich € ü\n".encode("cp1252"))
    assert reading.detect_layout(latin).encoding == "cp1252"
    sample = reading.encoding_sample(latin, "cp1252")
    assert sample == reading.EncodingSample(line=3, text="# Zürich € ü")
    assert reading.encoding_label("cp1252") == "Windows-1252"
