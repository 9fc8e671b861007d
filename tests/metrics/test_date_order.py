"""The date order is read from the file or asked, never guessed (issue 15).

The issue's file: semicolons, decimal commas, every date dd/mm with the day at 12 or below. It
used to be read month-first (twelve days on the wrong dates, one of them in the future); now the
preview asks, shows two rows read both ways, refuses to import until the user chooses, and the
choice is remembered for the next file of the same layout."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import dates, reading, uploads
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.models import ColumnMapping, DailyMetric, MetricImport
from tests.metrics.conftest import PM, import_id_from, upload
from tests.offer_helpers import actor

HEADER = "Datum;Platzierung;Impressionen;Klicks;Kosten\n"


def _ambiguous_file(first: int = 1, last: int = 12) -> bytes:
    lines = [
        f"{d:02d}/03/2027;Alpha newsletter;1.{d:03d};{d};{d},50\n" for d in range(first, last + 1)
    ]
    return (HEADER + "".join(lines)).encode()


def _stored(app) -> list[tuple[str, int, int, int]]:
    with app.app_context():
        return [
            (m.day.isoformat(), m.impressions, m.clicks, m.cost_minor)
            for m in db.session.scalars(sa.select(DailyMetric).order_by(DailyMetric.day))
        ]


def _status(app, import_id: int) -> str:
    with app.app_context():
        return db.session.get(MetricImport, import_id).status


def test_the_issues_file_asks_and_once_answered_stores_the_right_days(app, client, login_as, scene):
    pm = scene.world.a.email(PM)
    login_as(pm)
    import_id = import_id_from(upload(client, _ambiguous_file()))
    with app.app_context():
        preview = metric_imports.preview(actor(pm), import_id)
        assert preview.date_order_needed
        assert [
            (s.row, s.text, s.day_first, s.month_first) for s in preview.date_order_samples
        ] == [
            (2, "01/03/2027", date(2027, 3, 1), date(2027, 1, 3)),
            (3, "02/03/2027", date(2027, 3, 2), date(2027, 2, 3)),
        ]
        assert preview.problems == [
            "The dates could be day first or month first and nothing in the file tells which "
            "(row 2: 01/03/2027 \u2192 1 Mar 2027 (day first) or 3 Jan 2027 (month "
            "first); row 3: 02/03/2027 \u2192 2 Mar 2027 (day first) or 3 Feb 2027 "
            "(month first)). Choose how dates are written."
        ]
        assert preview.stored_rows == []  # nothing is read with an order nobody chose
    page = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
    assert 'data-testid="date-order-samples"' in page
    assert "<td><code>01/03/2027</code></td><td>1 Mar 2027</td><td>3 Jan 2027</td>" in page
    assert 'data-testid="confirm-import" disabled' in page

    # Confirmed anyway (a stale page, a script): refused by the service, nothing queued.
    refused = client.post(f"/metrics/imports/{import_id}/confirm", data={})
    assert refused.status_code == 302
    assert "Choose how dates are written" in client.get(refused.headers["Location"]).get_data(
        as_text=True
    )
    with app.app_context(), pytest.raises(ValidationFailed, match="day first or month first"):
        metric_imports.confirm(actor(pm), import_id, post_costs=False)
    assert _status(app, import_id) == "preview" and _stored(app) == []

    # "Not chosen yet" on the mapping form leaves the question open.
    client.post(
        f"/metrics/imports/{import_id}/settings",
        data={
            "columns": "5",
            **{f"column-{i}": f for i, f in enumerate(preview.mapping)},
            "date_order": "",
            "decimal": ",",
            "placement_id": "",
        },
    )
    with app.app_context():
        assert metric_imports.preview(actor(pm), import_id).date_order_needed

    answered = client.post(f"/metrics/imports/{import_id}/choices", data={"date_order": "dmy"})
    assert answered.status_code == 302
    with app.app_context():
        preview = metric_imports.preview(actor(pm), import_id)
        assert not preview.date_order_needed and preview.problems == [] and preview.errors == []
    client.post(f"/metrics/imports/{import_id}/confirm", data={})
    assert _status(app, import_id) == "succeeded"
    assert _stored(app) == [(f"2027-03-{d:02d}", 1000 + d, d, d * 100 + 50) for d in range(1, 13)]


def test_the_choice_is_remembered_for_the_next_file_of_that_layout(app, client, login_as, scene):
    pm = scene.world.a.email(PM)
    login_as(pm)
    first = import_id_from(upload(client, _ambiguous_file(1, 3)))
    client.post(f"/metrics/imports/{first}/choices", data={"date_order": "dmy"})
    client.post(f"/metrics/imports/{first}/confirm", data={})
    assert _status(app, first) == "succeeded"
    following = import_id_from(upload(client, _ambiguous_file(4, 6)))
    with app.app_context():
        preview = metric_imports.preview(actor(pm), following)
        assert not preview.date_order_needed and preview.problems == []
        assert preview.metric_import.settings["date_order"] == "dmy"
    client.post(f"/metrics/imports/{following}/confirm", data={})
    assert [row[0] for row in _stored(app)] == [f"2027-03-{d:02d}" for d in range(1, 7)]


@pytest.mark.parametrize(
    ("cell", "order"),
    [("13/03/2027", "dmy"), ("03/13/2027", "mdy")],
)
def test_a_file_whose_dates_prove_the_order_never_asks(app, client, login_as, scene, cell, order):
    pm = scene.world.a.email(PM)
    login_as(pm)
    # The proof is on the last line: the whole file is read to decide, not a sample.
    content = _ambiguous_file(1, 2) + f"{cell};Alpha newsletter;10;1;1,00\n".encode()
    import_id = import_id_from(upload(client, content))
    with app.app_context():
        preview = metric_imports.preview(actor(pm), import_id)
        assert not preview.date_order_needed
        assert preview.metric_import.settings["date_order"] == order
        # The first rows follow the proven order (month-first reads 01/03 as January 3:
        # outside the placement's dates, shown as row errors, never stored quietly).
        assert bool(preview.errors) == (order == "mdy")


def test_a_remembered_order_never_overrides_a_file_that_proves_the_other(
    app, client, login_as, scene
):
    login_as(scene.world.a.email(PM))
    # 03/01 .. 03/03: March 1-3 month first (inside the placement's dates), so month first
    # is chosen, imported and remembered with the mapping.
    month_first = _ambiguous_file(1, 3).replace(b"01/03/", b"03/01/").replace(b"02/03/", b"03/02/")
    first = import_id_from(upload(client, month_first))
    client.post(f"/metrics/imports/{first}/choices", data={"date_order": "mdy"})
    client.post(f"/metrics/imports/{first}/confirm", data={})
    with app.app_context():
        assert db.session.get(MetricImport, first).status == "succeeded"
    # The remembered month-first answer; a file proving day-first ignores it.
    proof = import_id_from(upload(client, _ambiguous_file(10, 13)))
    with app.app_context():
        assert db.session.get(MetricImport, proof).settings["date_order"] == "dmy"


def _scan(*cells: str) -> dates.DateOrderScan:
    scan = dates.DateOrderScan()
    scan.add(pd.Series(list(cells)), pd.Series(range(2, 2 + len(cells))))
    return scan


def test_what_the_cells_say_about_the_order():
    assert _scan("2027-03-01", "2027-03-02").order() == "iso"
    assert _scan("Mar 1, 2027", "2 March 2027").order() == "iso"
    assert _scan("01/03/2027", "13/03/2027").order() == "dmy"
    assert _scan("3/1/2027", "3/13/2027").order() == "mdy"
    assert _scan("01/03/2027", "02/03/2027").order() is None
    assert _scan("01/03/2027").order("mdy") == "mdy"  # a trusted remembered choice
    assert _scan("03/03/2027", "04/04/2027").order() == "dmy"  # reads the same either way
    assert _scan("13/03/2027", "03/13/2027").order() is None  # both: one is wrong, ask
    assert _scan("01/03/2027", "01/03/2027", "02.03.2027").samples == [
        (2, "01/03/2027"),
        (4, "02.03.2027"),
    ]


def test_an_order_saved_before_this_check_is_not_trusted(app, client, login_as, scene):
    """Mappings saved by older versions hold a guessed order and no basis: asked once."""
    login_as(scene.world.a.email(PM))
    first = import_id_from(upload(client, _ambiguous_file(1, 3)))
    with app.app_context():
        settings = db.session.get(MetricImport, first).settings
        signature = uploads.layout_signature(reading.Layout.from_dict(settings["layout"]))
        db.session.add(
            ColumnMapping(
                organization_id=scene.world.a.id,
                signature=signature,
                mapping={
                    "mapping": settings["mapping"],
                    "date_order": "mdy",  # what the old guess made of slashes
                    "decimal": ",",
                    "placement_id": None,
                },
            )
        )
        db.session.commit()
    again = import_id_from(upload(client, _ambiguous_file(4, 6)))
    with app.app_context():
        settings = db.session.get(MetricImport, again).settings
        assert settings["mapping_source"] == "saved"
        assert settings["date_order"] is None
