"""Running one job: claim it, run its handler, record the outcome.

Claiming is one conditional UPDATE, so two workers handed the same job (a redelivery, the
sweeper) never both run it: a job is claimable while queued and due, or while "running" with a
heartbeat older than the stale limit (its worker died). While the handler runs, a thread of the
worker beats the job's heartbeat (and writes its progress) in a connection of its own; a worker
killed with ``kill -9`` stops beating and the sweeper hands the job to another.

Every commit made while a job runs — the handler's own ones included — first checks that this
attempt still owns the job (its attempt number is the fencing token): a worker that lost the
job to another after a long pause cannot commit its work twice.

A failure is retried with exponential backoff and jitter until ``max_attempts``, then stays
failed with its error for an admin to retry.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import time
import traceback
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs.beat import Beat
from comarketing.jobs.models import Job, JobStatus
from comarketing.jobs.registry import failure_hook, lookup

log = logging.getLogger("comarketing.jobs")

STALE_AFTER = timedelta(seconds=60)
BACKOFF_BASE_SECONDS = 10
BACKOFF_CAP_SECONDS = 3600
WORKER_NAME = f"{socket.gethostname()}:{os.getpid()}"[:120]
_FENCE = "job_fence"  # session.info key: (job id, attempt) of the job this session runs
_PROGRESS = "job_progress"  # session.info key: the running job's latest progress


class LostClaim(Exception):
    """This attempt no longer owns its job (another worker took it over): nothing commits."""


def stale_after() -> timedelta:
    seconds = current_app.config.get("JOBS_STALE_AFTER_SECONDS") if has_app_context() else None
    return timedelta(seconds=float(seconds)) if seconds else STALE_AFTER


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


def _claimable(now: datetime) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(Job.status == JobStatus.QUEUED, Job.run_after <= now),
        sa.and_(
            Job.status == JobStatus.RUNNING,
            Job.heartbeat_at < now - stale_after(),
            Job.attempts < Job.max_attempts,
        ),
    )


def claim(job_id: int) -> bool:
    """Take the job for this worker; False when another has it, it is done, or not yet due."""
    now = utcnow()
    result = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, _claimable(now))
        .values(
            status=JobStatus.RUNNING,
            attempts=Job.attempts + 1,
            started_at=now,
            heartbeat_at=now,
            worker=WORKER_NAME,
            error=None,
            progress=None,
        )
    )
    db.session.commit()
    return bool(result.rowcount)  # type: ignore[attr-defined]


def heartbeat(job_id: int, progress: dict[str, Any] | None = None) -> None:
    """Tell the sweeper this job's worker is alive (and how far it has got), in a connection
    of its own so the job's open transaction is untouched."""
    values: dict[str, Any] = {"heartbeat_at": utcnow()}
    if progress is not None:
        values["progress"] = progress
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING).values(**values)
        )


def report_progress(progress: dict[str, Any]) -> None:
    """Called by a running handler: the heartbeat thread writes it (never blocking the work,
    which on SQLite holds the only write lock until it commits)."""
    fence = db.session.info.get(_FENCE)
    if fence is not None:
        fence[2]["progress"] = dict(progress)


@sa.event.listens_for(Session, "before_commit")
def _check_fence(session: Session) -> None:
    fence = session.info.get(_FENCE)
    if fence is None:
        return
    job_id, attempt, _state = fence
    with session.no_autoflush:  # "done" is flushed after this check, in the same commit
        still_ours = session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.attempts == attempt)
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    if not still_ours.rowcount:  # type: ignore[attr-defined]
        raise LostClaim(f"job {job_id} attempt {attempt} was taken over by another worker")


def run(job_id: int) -> str | None:
    """Run one job if it can be claimed; returns its status afterwards, None if not claimed
    (or lost to another worker while it ran)."""
    if not claim(job_id):
        return None
    job = db.session.get(Job, job_id)
    assert job is not None
    kind, payload, attempt = job.kind, dict(job.payload), job.attempts
    state: dict[str, Any] = {}
    started = time.perf_counter()
    db.session.info[_FENCE] = (job_id, attempt, state)
    try:
        with Beat(job_id, state, stale_after()):
            try:
                result = lookup(kind)(payload)
                # The handler's own work and "done" commit together.
                if "progress" in state:
                    job.progress = state["progress"]
                job.status = JobStatus.DONE
                job.result = result
                job.finished_at = utcnow()
                db.session.commit()
                return JobStatus.DONE
            except Retry as retry:
                return _settle(job, JobStatus.QUEUED, str(retry), utcnow() + retry.delay)
            except GiveUp as give_up:
                return _settle(job, JobStatus.FAILED, str(give_up))
    except LostClaim as lost:
        db.session.rollback()
        log.warning("%s; its work was rolled back", lost)
        return None
    except Exception as exc:
        db.session.rollback()
        db.session.info.pop(_FENCE, None)
        return _failed(job_id, attempt, exc)
    finally:
        db.session.info.pop(_FENCE, None)
        log.info(
            "job %s (%s) attempt %s took %.3f s",
            job_id,
            kind,
            attempt,
            time.perf_counter() - started,
        )


def _settle(job: Job, status: JobStatus, error: str, run_after: datetime | None = None) -> str:
    job.status = status
    job.error = error[:2000]
    if run_after is not None:
        job.run_after = run_after
    else:
        job.finished_at = utcnow()
    db.session.commit()
    db.session.info.pop(_FENCE, None)
    if status == JobStatus.FAILED:
        _call_failure_hook(job)
    return status


def _failed(job_id: int, attempt: int, exc: Exception) -> str | None:
    job = db.session.get(Job, job_id)
    assert job is not None
    if job.attempts != attempt or job.status != JobStatus.RUNNING:
        return None  # taken over meanwhile: the new owner records the outcome
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
    if job.status == JobStatus.FAILED:
        _call_failure_hook(job)
    return job.status


def _call_failure_hook(job: Job) -> None:
    """Tell the job's domain it will not run again (an import still "running" says so)."""
    hook = failure_hook(job.kind)
    if hook is None:
        return
    try:
        hook(dict(job.payload), job.error or "")
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("job %s (%s): its failure hook failed", job.id, job.kind)


def abandon_exhausted() -> int:
    """Jobs whose worker died on their last attempt: failed for good (else a job that kills
    its worker every time would be claimed forever)."""
    now = utcnow()
    ids = list(
        db.session.scalars(
            sa.select(Job.id).where(
                Job.status == JobStatus.RUNNING,
                Job.heartbeat_at < now - stale_after(),
                Job.attempts >= Job.max_attempts,
            )
        )
    )
    for job_id in ids:
        job = db.session.get(Job, job_id)
        assert job is not None
        job.status = JobStatus.FAILED
        job.finished_at = now
        job.error = f"The worker running attempt {job.attempts} stopped answering (it died)."
        db.session.commit()
        _call_failure_hook(job)
    return len(ids)


def due_ids(
    limit: int = 100, *, grace: timedelta | None = None, first_id: int | None = None
) -> list[int]:
    """Jobs a worker could claim now, oldest first; with ``grace``, only queued ones due for
    at least that long (the sweeper leaves the broker time to deliver fresh ones); with
    ``first_id``, only jobs from that id on."""
    now = utcnow()
    queued_before = now - grace if grace else now
    return list(
        db.session.scalars(
            sa.select(Job.id)
            .where(Job.id >= (first_id or 0))
            .where(
                sa.or_(
                    sa.and_(Job.status == JobStatus.QUEUED, Job.run_after <= queued_before),
                    sa.and_(
                        Job.status == JobStatus.RUNNING,
                        Job.heartbeat_at < now - stale_after(),
                        Job.attempts < Job.max_attempts,
                    ),
                )
            )
            .order_by(Job.run_after, Job.id)
            .limit(limit)
        )
    )


def drain(limit: int = 1000, *, first_id: int | None = None) -> int:
    """Run every due job (from ``first_id`` on) in this process (inline mode, the CLI, tests);
    returns how many ran."""
    ran = 0
    abandon_exhausted()
    while ran < limit and (ids := due_ids(first_id=first_id)):
        ran_now = sum(run(job_id) is not None for job_id in ids)
        if not ran_now:
            break  # all taken by other workers meanwhile
        ran += ran_now
    return ran
