"""Runs on many machines (issue 19): two gunicorn workers and a job worker against PostgreSQL
and a private Redis; 20 imports confirmed at once over the API and 200 mails queued: each
import stored once, each mail sent once to a real SMTP server, none lost."""

from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from flask import Flask

from comarketing import PROJECT_ROOT
from comarketing.api import services as api_tokens
from comarketing.campaigns import lifecycle, placements
from comarketing.extensions import db
from comarketing.jobs import Job
from comarketing.metrics.models import MetricImport
from tests import campaign_helpers as ch
from tests import factories
from tests.jobs.processes import (
    BIN,
    Worker,
    free_port,
    private_redis,
    process_env,
    settings_file,
    wait_for,
    workers,
)
from tests.jobs.test_worker_processes import queue_mail, sent
from tests.offer_helpers import actor

pytestmark = [pytest.mark.slow, pytest.mark.pg_only]

IMPORTS = 20
MAILS = 200
HEADER = "date,placement,impressions,reach,clicks,leads,conversions,revenue,cost"


START = date(2024, 1, 1)  # in the past: the processes check for future days for real


def past_campaign(world: factories.World) -> int:
    manager = actor(world.a.email(ch.PM))
    campaign = lifecycle.create_solo_campaign(
        manager,
        lifecycle.CampaignInput(
            name="Winter baking",
            description="",
            start_date=START,
            end_date=START + timedelta(days=3 * IMPORTS),
            currency="EUR",
        ),
    )
    placements.add_placement(
        manager,
        campaign.id,
        placements.PlacementInput(
            channel="email",
            owner_organization_id=world.a.id,
            name="Alpha newsletter",
            url="",
            start_date=None,
            end_date=None,
            planned_cost_minor=10_000,
        ),
    )
    return campaign.id


def results_file(number: int) -> bytes:
    """Three days of its own for each import (none overlaps another's)."""
    days = [START + timedelta(days=3 * number + d) for d in range(3)]
    lines = [HEADER] + [f"{day.isoformat()},Alpha newsletter,100,50,5,1,0,0,0" for day in days]
    return ("\n".join(lines) + "\n").encode()


def import_over_the_api(base_url: str, token: str, campaign_id: int, number: int) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    uploaded = requests.post(
        f"{base_url}/api/v1/imports",
        headers=headers,
        data={"campaign_id": str(campaign_id)},
        files={"file": (f"results-{number}.csv", results_file(number), "text/csv")},
        timeout=30,
    )
    assert uploaded.status_code == 201, uploaded.text
    import_id = int(uploaded.json()["id"])
    confirmed = requests.post(
        f"{base_url}/api/v1/imports/{import_id}/confirm", headers=headers, json={}, timeout=30
    )
    assert confirmed.status_code == 202, confirmed.text
    return import_id


def finished(app: Flask, ids: list[int]) -> list[str]:
    with app.app_context():
        statuses = list(
            db.session.scalars(sa.select(MetricImport.status).where(MetricImport.id.in_(ids)))
        )
        db.session.remove()
    return [s for s in statuses if s in ("succeeded", "failed")]


def test_two_web_workers_and_a_job_worker_store_each_import_and_send_each_mail_once(
    make_app: Any, tmp_path: Path, smtp_server: Any
) -> None:
    with private_redis(tmp_path) as server:
        app = make_app(
            JOBS_BACKEND="celery",
            REDIS_URL=server.url,
            RATELIMIT_STORAGE_URI="memory://",
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=smtp_server.port,
        )
        with app.app_context():
            world = factories.build_world()
            campaign_id = past_campaign(world)
            _, token = api_tokens.create_token_as_operator(
                email=world.a.email(ch.PM), name="scale-out test", scope="write", days=1
            )
            db.session.remove()
        settings = settings_file(
            tmp_path,
            app.config,
            REDIS_URL=server.url,
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=smtp_server.port,
            JOBS_SWEEP_SECONDS=2,
        )
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        web_log = tmp_path / "gunicorn.log"
        job_worker = Worker(
            tmp_path,
            settings,
            "jobs",
            "--pool=threads",
            "--concurrency=4",
            "--beat",
            f"--schedule={tmp_path / 'beat'}",
        )
        with web_log.open("wb") as log:
            web = subprocess.Popen(
                [
                    str(BIN / "gunicorn"),
                    "--workers=2",
                    f"--bind=127.0.0.1:{port}",
                    "--no-control-socket",
                    "--graceful-timeout=5",
                    "comarketing:create_app()",
                ],
                cwd=PROJECT_ROOT,
                env=process_env(settings),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            with workers(job_worker.start()):

                def serving() -> bool:
                    assert web.poll() is None, web_log.read_text()
                    try:
                        return requests.get(f"{base_url}/readyz", timeout=5).status_code == 200
                    except requests.RequestException:
                        return False

                wait_for(serving, 60, "gunicorn to answer")
                with ThreadPoolExecutor(max_workers=IMPORTS + 4) as pool:
                    imports = [
                        pool.submit(import_over_the_api, base_url, token, campaign_id, n)
                        for n in range(IMPORTS)
                    ]
                    mails = [
                        pool.submit(queue_mail, app, MAILS // 4, f"Batch {b}") for b in range(4)
                    ]
                    try:
                        import_ids = [f.result(timeout=120) for f in imports]
                    except AssertionError as failed:  # a 5xx: its traceback is in the log
                        raise AssertionError(f"{failed}\n{web_log.read_text()[-8000:]}") from None
                    mail_ids = [i for f in mails for i in f.result(timeout=120)]

                wait_for(
                    lambda: len(finished(app, import_ids)) == IMPORTS,
                    120,
                    f"the imports\n{job_worker.log()}",
                    every=0.5,
                )
                wait_for(
                    lambda: sent(app, mail_ids) == MAILS,
                    120,
                    f"the mails\n{job_worker.log()}",
                    every=0.5,
                )
        finally:
            web.terminate()
            try:
                web.wait(timeout=15)
            except subprocess.TimeoutExpired:
                web.kill()
                web.wait(timeout=5)

    with app.app_context():
        records = db.session.scalars(
            sa.select(MetricImport).where(MetricImport.id.in_(import_ids))
        ).all()
        assert (
            sorted((r.status, r.rows_written, r.rows_replaced) for r in records)
            == [("succeeded", 3, 0)] * IMPORTS
        )
        stored = db.session.scalar(sa.text("SELECT count(*) FROM daily_metrics"))
        assert stored == 3 * IMPORTS
        runs = db.session.execute(
            sa.select(Job.status, Job.attempts).where(Job.kind == "metrics.import")
        ).all()
        assert sorted(runs) == [("done", 1)] * IMPORTS
        db.session.remove()
    subjects = [m.message["Subject"] for m in smtp_server.received]
    assert len(subjects) == len(set(subjects)) == MAILS  # each once, none lost
