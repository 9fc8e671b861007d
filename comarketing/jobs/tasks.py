"""The Celery tasks: run one job, sweep, queue a periodic round. Each runs in an app context
(:mod:`comarketing.jobs.celery_app`)."""

from __future__ import annotations

import logging

from celery import shared_task
from sqlalchemy.exc import IntegrityError

from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs import runner, schedule, sweeper
from comarketing.jobs.queue import enqueue

log = logging.getLogger("comarketing.jobs")


@shared_task(name="comarketing.run_job")
def run_job(job_id: int) -> str | None:
    return runner.run(job_id)


@shared_task(name="comarketing.sweep")
def sweep() -> int:
    return sweeper.sweep()


@shared_task(name="comarketing.periodic")
def periodic(kind: str) -> None:
    """Queue this period's round of ``kind`` (once per period, whoever asks)."""
    try:
        enqueue(kind, {}, key=schedule.period_key(kind, utcnow()), max_attempts=3)
        db.session.commit()
    except IntegrityError:  # another scheduler queued it at the same instant
        db.session.rollback()
