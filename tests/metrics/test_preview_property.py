"""Property (issue 15): any file the preview accepts — no errors, no settings to change, no
open question, nothing over the commitments — stores exactly the values the preview showed,
for every row it checked (not only the first 20 on the page). A file it does not accept is
refused by confirm and stores nothing."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.metrics import imports as metric_imports
from comarketing.metrics import runs, uploads
from comarketing.metrics.models import VALUE_FIELDS, DailyMetric, MetricImport
from tests.metrics.conftest import PM
from tests.offer_helpers import actor

FIRST = date(2027, 3, 1)
FIELDS = VALUE_FIELDS


def _money(minor: int, decimal: str, grouped: bool) -> str:
    whole, cents = divmod(minor, 100)
    text = f"{whole:,}" if grouped else str(whole)
    if decimal == ",":
        text = text.replace(",", ".")
    return f"{text}{decimal}{cents:02d}"


@st.composite
def result_files(draw: st.DrawFn) -> tuple[bytes, bool, dict[str, str]]:
    """A CSV of A's placement in one of the shapes people export, sometimes with a bad cell;
    whether to post costs; and the settings a user corrects on the preview (maybe none)."""
    delimiter, decimal = draw(st.sampled_from([(",", "."), (";", ","), ("\t", "."), (";", ".")]))
    date_format, date_order = draw(
        st.sampled_from(
            [("%Y-%m-%d", "iso"), ("%d.%m.%Y", "dmy"), ("%m/%d/%Y", "mdy"), ("%d/%m/%Y", "dmy")]
        )
    )
    grouped = draw(st.booleans())
    # Past the 20 rows the page shows, too: the property covers every row checked.
    least = draw(st.sampled_from([1, 25]))
    offsets = draw(st.lists(st.integers(0, 60), min_size=least, max_size=40, unique=True))
    sloppy = draw(st.booleans())  # only then may a cell be wrong
    header = ["Day", "Placement", "Impressions", "Reach", "Clicks", "Leads", "Revenue", "Cost"]
    lines = [delimiter.join(header)]
    for offset in offsets:
        impressions = draw(st.integers(0, 10**7))
        reach = draw(st.integers(0, impressions if not sloppy else 10**7 + 1))
        cells = [
            (FIRST + timedelta(days=offset)).strftime(date_format),
            "Alpha newsletter",
            str(impressions),
            str(reach),
            draw(st.sampled_from([str(draw(st.integers(0, 10**5))), "", "-1", "12.5"]))
            if sloppy
            else str(draw(st.integers(0, 10**5))),
            str(draw(st.integers(0, 100))),
            _money(draw(st.integers(0, 10**7)), decimal, grouped),
            _money(draw(st.integers(0, 2_000)), decimal, grouped and decimal != delimiter),
        ]
        lines.append(delimiter.join(f'"{c}"' if delimiter in c else c for c in cells))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
    corrected = {"date_order": date_order, "decimal": decimal} if draw(st.booleans()) else {}
    return ("\n".join(lines) + "\n").encode(encoding), draw(st.booleans()), corrected


def _stored() -> list[tuple[Any, ...]]:
    return [
        (m.placement_id, m.day, *(getattr(m, f) for f in FIELDS))
        for m in db.session.scalars(
            sa.select(DailyMetric).order_by(DailyMetric.placement_id, DailyMetric.day)
        )
    ]


def _previewed(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return sorted(
        (int(r["placement_id"]), r["day"], *(None if r[f] is None else int(r[f]) for f in FIELDS))
        for r in rows
    )


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file=result_files())
def test_an_accepted_preview_stores_exactly_what_it_showed(app, scene, file):
    content, post_costs, corrected = file
    with app.app_context():
        pm = actor(scene.world.a.email(PM))
        db.session.execute(sa.delete(DailyMetric))
        db.session.commit()
        import_id = uploads.upload(
            pm, io.BytesIO(content), "results.csv", campaign_id=scene.campaign_id
        ).id
        if corrected:  # the user corrects what the upload guessed
            metric_imports.update_settings(pm, import_id, corrected)
        preview = metric_imports.preview(pm, import_id, rows=None)
        blockers = preview.blockers(post_costs)
        if blockers:
            with pytest.raises(ValidationFailed, match="Nothing was imported"):
                metric_imports.confirm(pm, import_id, post_costs=post_costs, import_again=True)
            assert db.session.get(MetricImport, import_id).status == "preview"
            assert _stored() == []
            return
        shown = _previewed(preview.stored_rows)
        assert len(shown) == preview.checked_rows - len(preview.skipped_rows)
        metric_imports.confirm(pm, import_id, post_costs=post_costs, import_again=True)
        result = runs.run_import(import_id)
        assert result.status == "succeeded", (result.message, result.errors[:3])
        assert _stored() == shown
        db.session.remove()


def test_the_generator_reaches_both_outcomes(app, scene):
    """The property is not vacuous: the same generator yields accepted and refused files."""
    outcomes: set[bool] = set()

    @settings(max_examples=40, deadline=None, derandomize=True, database=None)
    @given(file=result_files())
    def collect(file: tuple[bytes, bool, dict[str, str]]) -> None:
        content, post_costs, corrected = file
        with app.app_context():
            pm = actor(scene.world.a.email(PM))
            import_id = uploads.upload(
                pm, io.BytesIO(content), "results.csv", campaign_id=scene.campaign_id
            ).id
            if corrected:
                metric_imports.update_settings(pm, import_id, corrected)
            outcomes.add(not metric_imports.preview(pm, import_id).blockers(post_costs))
            db.session.remove()

    collect()
    assert outcomes == {True, False}
