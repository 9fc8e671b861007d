"""Kill -9 a job worker in the middle of a large import (issue 19's drill): the page tells the
truth within a minute, another worker runs the import again, and it is stored exactly once —
nothing of the killed attempt remains. PostgreSQL and a private redis-server, real processes.
"""

from __future__ import annotations

import io
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing.audit import AuditEvent
from comarketing.campaigns import lifecycle, placements
from comarketing.extensions import db
from comarketing.jobs import Job
from comarketing.metrics import imports as metric_imports
from comarketing.metrics import uploads
from comarketing.metrics.models import MetricImport
from tests import factories
from tests.conftest import login
from tests.jobs.processes import Worker, private_redis, settings_file, wait_for, workers
from tests.offer_helpers import actor

pytestmark = [pytest.mark.slow, pytest.mark.pg_only]

PM = "partner_manager"
PLACEMENTS = 75  # campaigns last at most five years: 1,600 days of 75 placements
ROWS = 120_000
START = date(2020, 1, 1)


def big_file(rows: int) -> bytes:
    """Our own format, every placement on day 1, then day 2, ...; each (placement, day) once."""
    lines = ["date,placement,impressions,reach,clicks,leads,conversions,revenue,cost"]
    for n in range(rows):
        day = (START + timedelta(days=n // PLACEMENTS)).isoformat()
        lines.append(
            f"{day},Placement {n % PLACEMENTS + 1:03d},{1000 + n % 9000},{n % 700},3,1,0,2.50,1.25"
        )
    return ("\n".join(lines) + "\n").encode()


def queue_big_import(app: Flask, world: factories.World) -> int:
    with app.app_context():
        manager = actor(world.a.email(PM))
        campaign = lifecycle.create_solo_campaign(
            manager,
            lifecycle.CampaignInput(
                name="Long campaign",
                description="",
                start_date=START,
                end_date=START + timedelta(days=ROWS // PLACEMENTS),
                currency="EUR",
            ),
        )
        for number in range(1, PLACEMENTS + 1):
            placements.add_placement(
                manager,
                campaign.id,
                placements.PlacementInput(
                    channel="email",
                    owner_organization_id=world.a.id,
                    name=f"Placement {number:03d}",
                    url="",
                    start_date=None,
                    end_date=None,
                    planned_cost_minor=10_000,
                ),
            )
        uploaded = uploads.upload(
            manager, io.BytesIO(big_file(ROWS)), "big.csv", campaign_id=campaign.id
        )
        import_id = uploaded.id
        metric_imports.confirm(manager, import_id, post_costs=False)  # the job is sent
        db.session.remove()
        return import_id


def job_state(app: Flask, import_id: int) -> tuple[str, str, int, dict[str, Any]]:
    with app.app_context():
        job = db.session.scalar(sa.select(Job).where(Job.key == f"metrics-import:{import_id}"))
        record = db.session.get(MetricImport, import_id)
        state = (record.status, job.status, job.attempts, dict(job.progress or {}))
        db.session.remove()
    return state


def test_a_worker_killed_mid_import_leaves_nothing_and_another_runs_it_once(
    make_app: Any, tmp_path: Path
) -> None:
    with private_redis(tmp_path) as server:
        app = make_app(
            JOBS_BACKEND="celery",
            REDIS_URL=server.url,
            RATELIMIT_STORAGE_URI="memory://",
            METRICS_IMPORT_CHUNK_ROWS=10_000,
            METRICS_UPLOAD_MAX_BYTES=100 * 1024 * 1024,
            JOBS_STALE_AFTER_SECONDS=3,
        )
        with app.app_context():
            world = factories.build_world()
        import_id = queue_big_import(app, world)
        settings = settings_file(
            tmp_path,
            app.config,
            REDIS_URL=server.url,
            JOBS_SWEEP_SECONDS=1,
            JOBS_STALE_AFTER_SECONDS=3,
        )
        beat = f"--schedule={tmp_path / 'beat'}"
        first = Worker(tmp_path, settings, "first", "--pool=solo", "--beat", beat)
        second = Worker(tmp_path, settings, "second", "--pool=solo", "--beat", beat)
        with workers(first, second):
            first.start()
            wait_for(
                lambda: job_state(app, import_id)[3].get("rows", 0) > 0,
                90,
                f"the import to be under way\n{first.log()}",
                every=0.05,
            )
            first.kill()
            killed_at = time.monotonic()
            status, job_status, attempts, progress = job_state(app, import_id)
            assert (status, job_status, attempts) == ("running", "running", 1), first.log()
            assert 0 < progress["rows"] < ROWS

            # Nothing of the killed attempt is stored: its transaction died with it.
            with app.app_context():
                assert db.session.scalar(sa.text("SELECT count(*) FROM daily_metrics")) == 0
                db.session.remove()

            # The page tells the truth within a minute (not a frozen progress bar).
            client = app.test_client()
            login(client, world.a.email(PM))

            def page_says_interrupted() -> bool:
                page = client.get(f"/metrics/imports/{import_id}").get_data(as_text=True)
                return 'data-state="interrupted"' in page and "Interrupted" in page

            wait_for(page_says_interrupted, 60, "the page to say the import was interrupted")
            assert time.monotonic() - killed_at < 60
            progress_json = client.get(f"/metrics/imports/{import_id}/progress").get_json()
            assert progress_json["state"] == "interrupted"

            second.start()
            wait_for(
                lambda: job_state(app, import_id)[0] in ("succeeded", "failed"),
                150,
                f"the second worker to finish the import\n{second.log()}",
                every=0.5,
            )
    status, job_status, attempts, progress = job_state(app, import_id)
    assert (status, job_status, attempts) == ("succeeded", "done", 2)
    assert progress == {"progress": 1.0, "rows": ROWS}
    with app.app_context():
        record = db.session.get(MetricImport, import_id)
        # Every row written by the second attempt as new: none was left by the first.
        assert (record.rows_read, record.rows_written, record.rows_replaced) == (ROWS, ROWS, 0)
        assert db.session.scalar(sa.text("SELECT count(*) FROM daily_metrics")) == ROWS
        imported = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "metrics.import")
        )
        assert imported == 1
        db.session.remove()
