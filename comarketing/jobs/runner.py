"""Running one job: claim it, run its handler, record the outcome.

Claiming is one conditional UPDATE, so two workers handed the same job (a redelivery, the
sweeper) never both run it: a job is claimable while queued and due, or while "running" with a
heartbeat older than :data:`STALE_AFTER` (its worker died). A failure is retried with
exponential backoff and jitter until ``max_attempts``, then stays failed with its error for an
admin to retry.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import traceback
from datetime import datetime, timedelta

import sqlalchemy as sa

from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs.models import Job, JobStatus
from comarketing.jobs.registry import lookup

log = logging.getLogger("comarketing.jobs")

STALE_AFTER = timedelta(seconds=60)
BACKOFF_BASE_SECONDS = 10
BACKOFF_CAP_SECONDS = 3600
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"[:120]


def backoff(attempts: int) -> timedelta:
    """Full-jitter exponential backoff after the n-th failed attempt."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=random.uniform(ceiling / 2, ceiling))


class Retry(Exception):
    """Raised by a handler to be run again after ``delay`` (a receiver's Retry-After, its own
    schedule). What the handler added to the session is kept: it commits with the requeue (an
    attempt's log row, say). The handler decides when to stop retrying (raise :class:`GiveUp`)."""

    def __init__(self, delay: timedelta, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


class GiveUp(Exception):
    """Raised by a handler when retrying cannot help: the job fails at once, its session's
    changes kept (like :class:`Retry`)."""


def claim(job_id: int) -> bool:
    """Take the job for this worker; False when another has it, it is done, or not yet due."""
    now = utcnow()
    claimable = sa.or_(
        sa.and_(Job.status == JobStatus.QUEUED, Job.run_after <= now),
        sa.and_(Job.status == JobStatus.RUNNING, Job.heartbeat_at < now - STALE_AFTER),
    )
    result = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, claimable)
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            worker=WORKER_NAME,
            error=None,
        )
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def heartbeat(job_id: int) -> None:
    """Tell the sweeper this job's worker is alive (long jobs call it as they progress), in a
    connection of its own so the job's open transaction is untouched."""
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.RUNNING)
            .values(heartbeat_at=utcnow())
        )


def run(job_id: int) -> str | None:
    """Run one job if it can be claimed; returns its status afterwards, None if not claimed."""
    if not claim(job_id):
        return None
    job = db.session.get(Job, job_id)
    assert job is not None
    try:
        result = lookup(job.kind)(dict(job.payload))
    except Retry as retry:
        return _settle(job, JobStatus.QUEUED, str(retry), run_after=utcnow() + retry.delay)
    except GiveUp as give_up:
        return _settle(job, JobStatus.FAILED, str(give_up))
    except Exception as exc:
        db.session.rollback()
        return _failed(job_id, exc)
    # The handler's own work and "done" commit together.
    job.status = JobStatus.DONE
    job.result = result
    job.finished_at = utcnow()
    db.session.commit()
    return JobStatus.DONE


def _settle(job: Job, status: JobStatus, error: str, run_after: datetime | None = None) -> str:
    job.status = status
    job.error = error[:2000]
    if run_after is not None:
        job.run_after = run_after
    else:
        job.finished_at = utcnow()
    db.session.commit()
    return status


def _failed(job_id: int, exc: Exception) -> str:
    job = db.session.get(Job, job_id)
    assert job is not None
    detail = "".join(traceback.format_exception_only(exc)).strip()[:2000]
    log.warning("job %s (%s) failed, attempt %s: %s", job.id, job.kind, job.attempts, detail)
    job.error = detail
    if job.attempts >= job.max_attempts:
        job.status = JobStatus.FAILED
        job.finished_at = utcnow()
    else:
        job.status = JobStatus.QUEUED
        job.run_after = utcnow() + backoff(job.attempts)
    db.session.commit()
    return job.status


def due_ids(limit: int = 100) -> list[int]:
    """Jobs a worker could claim now, oldest first."""
    now = utcnow()
    return list(
        db.session.scalars(
            sa.select(Job.id)
            .where(
                sa.or_(
                    sa.and_(Job.status == JobStatus.QUEUED, Job.run_after <= now),
                    sa.and_(Job.status == JobStatus.RUNNING, Job.heartbeat_at < now - STALE_AFTER),
                )
            )
            .order_by(Job.run_after, Job.id)
            .limit(limit)
        )
    )


def drain(limit: int = 1000) -> int:
    """Run every due job in this process (inline mode, the CLI, tests); returns how many ran."""
    ran = 0
    while ran < limit and (ids := due_ids()):
        ran_now = sum(run(job_id) is not None for job_id in ids)
        if not ran_now:
            break  # all taken by other workers meanwhile
        ran += ran_now
    return ran
