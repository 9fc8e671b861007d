"""The Background jobs page (company admins, their company's jobs only, retry a failed one),
the periodic rounds queued once per period, readiness naming the queue's broker."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs import Job, JobStatus, enqueue, runner, schedule
from tests.conftest import login
from tests.jobs.processes import free_port, private_redis


def failed_job(organization_id: int | None, error: str) -> int:
    job = Job(
        kind="mail.send",
        payload={"message_id": 0},
        organization_id=organization_id,
        status=JobStatus.FAILED,
        attempts=8,
        max_attempts=8,
        run_after=utcnow(),
        error=error,
    )
    db.session.add(job)
    db.session.commit()
    return job.id


def test_an_admin_sees_the_failed_jobs_of_the_company_and_retries_one(
    app: Flask, client: Any, world: Any
) -> None:
    with app.app_context():
        ours = failed_job(world.a.id, "SMTP unavailable: connection refused")
        theirs = failed_job(world.c.id, f"{world.canary} secret failure")
        system = failed_job(None, "the system's own round")
    login(client, world.a.email("admin"))
    page = client.get("/settings/jobs?status=failed").get_data(as_text=True)
    assert f'data-job="{ours}"' in page and "SMTP unavailable: connection refused" in page
    assert f'data-job="{theirs}"' not in page and world.canary not in page
    assert f'data-job="{system}"' not in page
    assert 'href="/settings/jobs"' in client.get("/dashboard").get_data(as_text=True)  # user menu

    assert client.post(f"/settings/jobs/{theirs}/retry").status_code == 404
    response = client.post(f"/settings/jobs/{ours}/retry")
    assert response.status_code == 302
    with app.app_context():
        job = db.session.get(Job, ours)
        # Queued again with one more attempt, and (inline backend) run after the request:
        # its message no longer exists, so it is done with nothing sent.
        assert (job.status, job.attempts, job.max_attempts) == (JobStatus.DONE, 9, 9)
        assert job.result == {"sent": False, "reason": "no such message"}
        assert db.session.get(Job, theirs).status == JobStatus.FAILED
    again = client.post(f"/settings/jobs/{ours}/retry", follow_redirects=True)
    assert "Only a failed job can be retried." in again.get_data(as_text=True)


def test_a_non_admin_is_refused_the_page(client: Any, world: Any) -> None:
    login(client, world.a.email("partner_manager"))
    assert client.get("/settings/jobs").status_code == 403


def test_a_periodic_round_is_queued_once_per_period(ctx: Flask) -> None:
    first = datetime(2026, 12, 6, 10, 5, tzinfo=UTC)
    later_same_hour = datetime(2026, 12, 6, 10, 55, tzinfo=UTC)
    next_hour = datetime(2026, 12, 6, 11, 0, tzinfo=UTC)
    keys = {
        schedule.period_key("periodic.reminders", moment)
        for moment in (first, later_same_hour, next_hour)
    }
    assert len(keys) == 2
    for moment in (first, later_same_hour, first):
        enqueue("periodic.reminders", key=schedule.period_key("periodic.reminders", moment))
        db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 1
    assert runner.drain() == 1
    job = db.session.scalar(sa.select(Job))
    assert job.status == JobStatus.DONE
    assert set(job.result) == {"offers", "collateral", "claims"}


def test_every_periodic_round_has_a_handler_and_a_beat_entry(app: Flask) -> None:
    from comarketing.jobs import registry

    entries = schedule.beat_schedule(30)
    assert entries["sweep"]["schedule"] == 30
    for kind in schedule.PERIODIC:
        registry.lookup(kind)
        assert entries[kind]["args"] == (kind,)


def test_readiness_asks_the_queues_broker(make_app: Any, tmp_path: Path) -> None:
    with private_redis(tmp_path) as server:
        up = make_app(
            JOBS_BACKEND="celery", REDIS_URL=server.url, RATELIMIT_STORAGE_URI="memory://"
        )
        response = up.test_client().get("/readyz")
        assert response.json["checks"]["queue"] == "ok", response.json
    dead = f"redis://127.0.0.1:{free_port()}/0"
    down = make_app(JOBS_BACKEND="celery", CELERY_BROKER_URL=dead)
    response = down.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"]["queue"] == "failed"
    assert "127.0.0.1" not in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["sideways", "Celery"])
def test_an_unknown_backend_refuses_to_start(make_app: Any, name: str) -> None:
    with pytest.raises(RuntimeError, match="JOBS_BACKEND"):
        make_app(JOBS_BACKEND=name)


@pytest.mark.slow
def test_celerys_own_command_finds_the_app(tmp_path: Path) -> None:
    import subprocess

    from tests.jobs.processes import BIN, process_env, settings_file

    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    settings = settings_file(
        tmp_path,
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}"},
        CELERY_BROKER_URL=broker,
    )
    report = subprocess.run(
        [str(BIN / "celery"), "-A", "comarketing.worker", "report"],
        env=process_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert report.returncode == 0, report.stderr
    assert "broker_url: 'sqla+sqlite:///" in report.stdout
    assert "task_acks_late: True" in report.stdout


def test_metrics_show_the_queue_from_the_database(make_app: Any) -> None:
    app = make_app(METRICS_TOKEN="jobs-metrics-token-5521")
    with app.app_context():
        enqueue("periodic.mail_retry", key="metrics-test-done")
        db.session.commit()
        assert runner.drain() == 1
        enqueue("periodic.mail_retry", key="metrics-test-due")
        db.session.commit()
    body = (
        app.test_client()
        .get("/metrics", headers={"Authorization": "Bearer jobs-metrics-token-5521"})
        .get_data(as_text=True)
    )
    assert 'comarketing_jobs{kind="periodic.mail_retry",status="done"} 1.0' in body
    assert 'comarketing_jobs{kind="periodic.mail_retry",status="queued"} 1.0' in body
    assert 'comarketing_jobs_due{kind="periodic.mail_retry"} 1.0' in body
    assert 'comarketing_jobs_done_last_hour{kind="periodic.mail_retry"} 1.0' in body
    assert "comarketing_job_duration_last_hour_max_seconds" in body
