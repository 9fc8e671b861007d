"""Work waiting outside the request, counted in the database (the truth every process shares)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs import Job, JobStatus
from comarketing.metrics.models import MetricImport
from comarketing.outbox import OutboxMessage


def counts() -> list[tuple[str, str, int]]:
    """(metric name, help, value) for each backlog, in two queries."""
    mail = db.session.execute(
        sa.select(
            sa.func.count().filter(OutboxMessage.attempts == 0),
            sa.func.count().filter(OutboxMessage.attempts > 0),
        ).where(OutboxMessage.sent_at.is_(None))
    ).one()
    imports: dict[str, int] = {
        status: count
        for status, count in db.session.execute(
            sa.select(MetricImport.status, sa.func.count())
            .where(MetricImport.status.in_(("queued", "running")))
            .group_by(MetricImport.status)
        )
    }
    return [
        ("mail_queued", "Mail waiting for its first delivery attempt.", int(mail[0])),
        (
            "mail_retrying",
            "Mail whose delivery failed at least once and waits again.",
            int(mail[1]),
        ),
        ("imports_queued", "Confirmed result imports waiting to run.", imports.get("queued", 0)),
        ("imports_running", "Result imports running now.", imports.get("running", 0)),
    ]


def jobs_by_kind_and_status() -> list[tuple[str, str, int]]:
    """(kind, status, count) of every job kept."""
    return [
        (kind, status, int(count))
        for kind, status, count in db.session.execute(
            sa.select(Job.kind, Job.status, sa.func.count()).group_by(Job.kind, Job.status)
        )
    ]


def jobs_due_by_kind() -> list[tuple[str, int]]:
    """The queue's depth: jobs queued and due now, waiting for a worker, by kind."""
    return [
        (kind, int(count))
        for kind, count in db.session.execute(
            sa.select(Job.kind, sa.func.count())
            .where(Job.status == JobStatus.QUEUED, Job.run_after <= utcnow())
            .group_by(Job.kind)
        )
    ]


def job_durations_last_hour() -> list[tuple[str, int, float, float]]:
    """(kind, jobs, mean seconds, max seconds) of the last attempt of the jobs done in the last
    hour (start of the attempt that succeeded to its end)."""
    since = utcnow() - timedelta(hours=1)
    seconds: sa.ColumnElement[Any]
    if db.session.get_bind().dialect.name == "postgresql":
        seconds = sa.func.extract("epoch", Job.finished_at - Job.started_at)
    else:
        seconds = (sa.func.julianday(Job.finished_at) - sa.func.julianday(Job.started_at)) * 86400
    rows = db.session.execute(
        sa.select(Job.kind, sa.func.count(), sa.func.avg(seconds), sa.func.max(seconds))
        .where(Job.status == JobStatus.DONE, Job.finished_at >= since)
        .group_by(Job.kind)
    )
    return [(kind, int(n), float(mean or 0), float(top or 0)) for kind, n, mean, top in rows]
