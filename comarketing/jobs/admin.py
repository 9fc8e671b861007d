"""The "Background jobs" page's services: a company's admins see their company's jobs (by
``Job.organization_id``; the system's own rounds belong to no company) and retry a failed one.
Another company's job answers like one that does not exist."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from comarketing import audit
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Conflict, NotFound
from comarketing.extensions import db
from comarketing.jobs.models import Job, JobStatus
from comarketing.jobs.queue import mark_queued
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

SHOWN = (JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.FAILED, JobStatus.DONE)
# What a description of each kind says on the page; unknown kinds show their name.
KIND_LABELS = {
    "metrics.import": "Results import",
    "mail.send": "Mail",
}


@dataclass(frozen=True)
class JobPage:
    jobs: list[Job]
    has_more: bool
    counts: dict[str, int]


def company_jobs(actor: Actor, *, status: str | None, page: int, per_page: int) -> JobPage:
    """One page of the company's jobs, newest first, optionally of one status, and how many
    there are of each status."""
    authorize(actor.user, Action.MANAGE_ORGANIZATION)
    ours = Job.organization_id == actor.organization_id
    query = sa.select(Job).where(ours)
    if status is not None:
        query = query.where(Job.status == status)
    rows = list(
        db.session.scalars(
            query.order_by(Job.id.desc()).offset((page - 1) * per_page).limit(per_page + 1)
        )
    )
    counts = {str(s): 0 for s in SHOWN}
    counts.update(
        {
            str(s): int(n)
            for s, n in db.session.execute(
                sa.select(Job.status, sa.func.count()).where(ours).group_by(Job.status)
            )
        }
    )
    return JobPage(rows[:per_page], len(rows) > per_page, counts)


@transactional
def retry(actor: Actor, job_id: int) -> Job:
    """Queue a failed job again, now, with one more attempt (its earlier attempts stay
    counted: the attempt number is what keeps a late worker from committing)."""
    authorize(actor.user, Action.MANAGE_ORGANIZATION)
    job = db.session.scalar(
        sa.select(Job)
        .where(Job.id == job_id, Job.organization_id == actor.organization_id)
        .with_for_update()
    )
    if job is None:
        raise NotFound()
    if job.status != JobStatus.FAILED:
        raise Conflict("Only a failed job can be retried.")
    job.status = JobStatus.QUEUED
    job.run_after = utcnow()
    job.finished_at = None
    job.max_attempts = job.attempts + 1
    audit.record(
        "jobs.retried",
        actor=actor,
        organization_ids=[actor.organization_id],
        target=job,
        kind=job.kind,
    )
    mark_queued(db.session)  # the inline backend runs it after the request
    db.session.commit()
    return job
