"""What only PostgreSQL can show: two uploads of the same placement and days, confirmed at the
same moment on two connections, leave exactly one row per day (and a replaced-values record
for the one that ran second), never a duplicate or a lost update of the history; and two files
of a layout not seen before, confirmed at once, both queue (one remembered mapping)."""

from __future__ import annotations

import io
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from comarketing.extensions import db
from comarketing.metrics import imports as metric_imports
from comarketing.metrics import reading, uploads
from comarketing.metrics.models import ColumnMapping, DailyMetric, MetricImport, ReplacedDay
from tests.concurrency import at_once
from tests.metrics.conftest import PM, run_imports_at_once
from tests.offer_helpers import actor

pytestmark = pytest.mark.pg_only

DAYS = 30


def _file(placement: int, clicks: int) -> bytes:
    lines = ["date,placement_id,impressions,reach,clicks,cost"]
    lines += [f"2027-03-{d:02d},{placement},1000,500,{clicks},1.00" for d in range(1, DAYS + 1)]
    return ("\n".join(lines) + "\n").encode()


def test_two_concurrent_uploads_of_the_same_days_leave_one_row_per_day(app, scene):
    email = scene.world.a.email(PM)
    with app.app_context():
        imports = []
        for clicks in (11, 22):
            upload = uploads.upload(
                actor(email),
                io.BytesIO(_file(scene.a_placement, clicks)),
                "r.csv",
                campaign_id=scene.campaign_id,
            )
            metric_imports.confirm(actor(email), upload.id, post_costs=True)
            imports.append(upload.id)
        db.session.remove()
    outcomes = run_imports_at_once(app, imports)
    assert outcomes == ["succeeded", "succeeded"], outcomes
    with app.app_context():
        rows = db.session.execute(
            sa.select(DailyMetric.day, DailyMetric.clicks, DailyMetric.import_id).where(
                DailyMetric.placement_id == scene.a_placement
            )
        ).all()
        assert len(rows) == DAYS and len({r.day for r in rows}) == DAYS
        # The import that ran second wrote every day and recorded the first one's values.
        winner = {r.import_id for r in rows}
        assert len(winner) == 1
        [last] = winner
        first = imports[0] if last == imports[1] else imports[1]
        replaced = db.session.execute(
            sa.select(ReplacedDay.previous_import_id, sa.func.count()).group_by(
                ReplacedDay.previous_import_id
            )
        ).all()
        assert replaced == [(first, DAYS)]
        # Costs: one live expense per day, 30 x EUR 1.00 in all, whatever the order.
        from comarketing.budgets import balances

        assert balances.campaign_totals(scene.campaign_id).spent_minor == DAYS * 100


def _waiting_on_a_lock() -> int:
    waiting = db.session.scalar(
        sa.text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock'"
        )
    )
    db.session.remove()  # the view is a snapshot taken once per transaction
    return int(waiting)


def test_two_files_of_a_new_layout_confirmed_at_once_both_queue(app, scene):
    """Both confirmations remember the layout's mapping. They are made to meet on its unique
    key: a third connection holds an uncommitted row for it until both wait on that row, then
    gives way. Before the mapping was one upsert, the second to insert failed (a 500 from two
    web workers)."""
    email = scene.world.a.email(PM)
    with app.app_context():
        ids = [
            uploads.upload(
                actor(email),
                io.BytesIO(_file(scene.a_placement, clicks)),
                "r.csv",
                campaign_id=scene.campaign_id,
            ).id
            for clicks in (11, 22)
        ]
        layout = reading.Layout.from_dict(db.session.get(MetricImport, ids[0]).settings["layout"])
        signature = uploads.layout_signature(layout)
        db.session.remove()
        mappings = ColumnMapping.__table__
        with db.engine.connect() as holder, ThreadPoolExecutor(1) as pool:
            holder.execute(
                sa.insert(mappings).values(
                    organization_id=scene.world.a.id, signature=signature, mapping={}
                )
            )
            confirming = pool.submit(
                at_once,
                app,
                [
                    lambda i=i: metric_imports.confirm(actor(email), i, post_costs=False).status
                    for i in ids
                ],
            )
            deadline = time.monotonic() + 30
            while _waiting_on_a_lock() < 2 and not confirming.done():
                assert time.monotonic() < deadline, "the confirmations never met on the key"
                time.sleep(0.05)
            holder.rollback()
            outcomes = confirming.result(timeout=60)
    assert outcomes == ["queued", "queued"], outcomes
    with app.app_context():
        rows = db.session.execute(sa.select(mappings.c.organization_id, mappings.c.signature)).all()
        assert rows == [(scene.world.a.id, signature)]
