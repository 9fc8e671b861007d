"""The bulk write of large chunks (metrics/bulk.py: key order, COPY into a staging table on
PostgreSQL) stores exactly what the plain upsert statement stores: the same days, values,
NULLs, monthly rollup, replaced values and counts, through a sequence of imports that adds,
replaces, leaves alone and un-reports days over several chunks. And a day repeated in a later
chunk is still refused with nothing stored."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from comarketing.extensions import db
from comarketing.metrics import bulk, runs, uploads
from comarketing.metrics import imports as metric_imports
from comarketing.metrics.models import (
    VALUE_FIELDS,
    DailyMetric,
    MetricImport,
    MetricRollup,
    ReplacedDay,
)
from tests.metrics.conftest import PM, queue_unchecked
from tests.offer_helpers import actor

HEADER = "date,placement_id,impressions,reach,clicks,leads,conversions,revenue,cost"
FIRST = date(2027, 3, 1)  # the scene's placements run 2027-03-01 .. 2027-04-30


def _line(placement: int, offset: int, version: int) -> str:
    """One day's row; ``version`` changes some figures, and some cells are left empty (not
    reported), so a later file replaces, keeps and un-reports values."""
    n = offset * 7 + version
    cells = [
        str(1000 + n),  # impressions
        "" if n % 5 == 0 else str(500 + n % 400),  # reach
        str(n % 50),  # clicks
        "" if n % 4 == 1 else str(n % 9),  # leads
        f"{n % 7}.{n % 100:02d}",  # conversions
        "" if n % 6 == 2 else f"{n % 900}.{n % 100:02d}",  # revenue
        f"{n % 300}.{(n * 3) % 100:02d}",  # cost
    ]
    return ",".join([(FIRST + timedelta(days=offset)).isoformat(), str(placement), *cells])


def _file(lines: list[str]) -> bytes:
    return ("\n".join([HEADER, *lines]) + "\n").encode()


def _import(email: str, campaign_id: int, content: bytes) -> MetricImport:
    uploaded = uploads.upload(
        actor(email), io.BytesIO(content), "results.csv", campaign_id=campaign_id
    )
    metric_imports.confirm(actor(email), uploaded.id, post_costs=False, import_again=True)
    return runs.run_import(uploaded.id)


def _tables(import_ids: list[int]) -> dict[str, Any]:
    """Everything the imports stored, their ids replaced by their place in the sequence."""
    place = {import_id: n for n, import_id in enumerate(import_ids)}
    days = [
        (
            d.placement_id,
            d.day,
            *(getattr(d, f) for f in VALUE_FIELDS),
            d.currency,
            place.get(d.import_id),
            d.campaign_id,
        )
        for d in db.session.scalars(
            sa.select(DailyMetric).order_by(DailyMetric.placement_id, DailyMetric.day)
        )
    ]
    rollup = [
        tuple(getattr(r, c.key) for c in MetricRollup.__table__.columns)
        for r in db.session.scalars(
            sa.select(MetricRollup).order_by(MetricRollup.placement_id, MetricRollup.month)
        )
    ]
    replaced = [
        (
            place[r.import_id],
            r.placement_id,
            r.day,
            *(getattr(r, f) for f in VALUE_FIELDS),
            r.currency,
            place.get(r.previous_import_id),
        )
        for r in db.session.scalars(sa.select(ReplacedDay).order_by(ReplacedDay.id))
    ]
    counts = [
        (m.status, m.rows_read, m.rows_written, m.rows_replaced, m.rows_unchanged)
        for m in (db.session.get(MetricImport, i) for i in import_ids)
        if m is not None
    ]
    return {"days": days, "rollup": rollup, "replaced": replaced, "imports": counts}


def _run_sequence(email: str, campaign_id: int, placement: int) -> dict[str, Any]:
    for table in (ReplacedDay, DailyMetric, MetricRollup):
        db.session.execute(sa.delete(table))
    db.session.commit()
    # Out of key order (the days backwards and forwards), over several chunks.
    first = [_line(placement, o, 0) for o in [*range(39, 19, -1), *range(20)]]
    second = [_line(placement, o, o % 3) for o in range(20, 61)]  # days 20-39 again
    third = [_line(placement, o, (o + 1) % 3) for o in range(0, 61, 2)]
    done = [_import(email, campaign_id, _file(lines)) for lines in (first, second, third)]
    assert [m.status for m in done] == ["succeeded"] * 3, [m.errors[:2] for m in done]
    return _tables([m.id for m in done])


def test_the_bulk_write_stores_exactly_what_the_plain_statement_stores(
    make_app, world, monkeypatch
):
    from tests import campaign_helpers as ch

    app = make_app(METRICS_IMPORT_CHUNK_ROWS=15)
    with app.app_context():
        joint = ch.joint_campaign(world)
        email = world.a.email(PM)
        monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 10**9)  # every chunk: the plain statement
        plain = _run_sequence(email, joint.id, joint.a_placement)
        monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 1)  # every chunk: the bulk path
        staged = _run_sequence(email, joint.id, joint.a_placement)
    # (status, read, written, replaced, unchanged): days 20-39 come again, 7 of them alike.
    assert plain["imports"] == [
        ("succeeded", 40, 40, 0, 0),
        ("succeeded", 41, 34, 13, 7),
        ("succeeded", 31, 28, 28, 3),
    ]
    assert len(plain["days"]) == 61 and plain["replaced"]
    assert any(value is None for row in plain["days"] for value in row)  # NULLs compared too
    assert staged == plain


@pytest.mark.parametrize("threshold", [1, 10**9])
def test_a_day_repeated_in_a_later_chunk_stores_nothing_on_either_path(
    make_app, world, monkeypatch, threshold
):
    from tests import campaign_helpers as ch

    app = make_app(METRICS_IMPORT_CHUNK_ROWS=10)
    with app.app_context():
        joint = ch.joint_campaign(world)
        monkeypatch.setattr(bulk, "BULK_MIN_ROWS", threshold)
        lines = [_line(joint.a_placement, o, 0) for o in range(25)]
        lines.append(_line(joint.a_placement, 3, 1))  # row 27 repeats day 3 of row 5
        uploaded = uploads.upload(
            actor(world.a.email(PM)), io.BytesIO(_file(lines)), "r.csv", campaign_id=joint.id
        )
        queue_unchecked(uploaded.id)  # the preview saw the repeat: queued all the same
        done = runs.run_import(uploaded.id)
        assert (done.status, done.error_count) == ("failed", 1)
        assert done.errors[0]["row"] == 27
        assert "repeats a placement and day" in done.errors[0]["reason"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(DailyMetric)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MetricRollup)) == 0
