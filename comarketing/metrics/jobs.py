"""Confirmed file imports as background jobs (issue 19), and their progress.

Confirming an import queues a ``metrics.import`` job in the same transaction
(:func:`comarketing.metrics.imports.confirm`); a worker runs it with :func:`run_queued_import`.
The import's rows and its "succeeded" commit together, so a worker killed half way leaves
nothing of its attempt: the next attempt finds the import still "running", puts it back to
"queued" and runs it whole. Progress is written to the job's row by the worker's heartbeat,
so the page on any web server reads the same; a job whose heartbeat has stopped (its worker
died) is shown as interrupted and waiting for its retry, not as a frozen progress bar.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs import Job, JobStatus, enqueue, handler, runner
from comarketing.metrics import intake_replies, runs
from comarketing.metrics.imports import IMPORT_JOB, IMPORT_JOB_ATTEMPTS, import_job_key
from comarketing.metrics.models import ImportStatus, MetricImport


def _give_up(payload: dict[str, Any], error: str) -> None:
    """The job failed for good: an import it left queued or running says so."""
    metric_import = db.session.get(MetricImport, payload["import_id"])
    if metric_import is not None and not ImportStatus(metric_import.status).finished:
        runs.mark_interrupted(metric_import.id)


@handler(IMPORT_JOB, on_failure=_give_up)
def run_queued_import(payload: dict[str, Any]) -> dict[str, Any]:
    import_id = int(payload["import_id"])
    metric_import = db.session.get(MetricImport, import_id)
    if metric_import is None:
        return {"status": "gone"}
    if metric_import.status == ImportStatus.RUNNING.value:
        # An earlier attempt's worker died: its transaction went with its connection, so
        # nothing of it is stored. Run the import again, whole.
        metric_import.status = ImportStatus.QUEUED.value
        db.session.commit()
    elif metric_import.status != ImportStatus.QUEUED.value:
        return {"status": metric_import.status}  # done already (a second delivery)

    def progress(share: float, rows: int) -> None:
        runner.report_progress({"progress": round(share, 4), "rows": rows})

    finished = runs.run_import(import_id, progress=progress)
    runner.report_progress({"progress": 1.0, "rows": finished.rows_read})
    intake_replies.wake(import_id)  # a mailed file's reply, if one waits for this import
    return {"status": finished.status, "rows": finished.rows_read}


def queue_orphans() -> int:
    """Give a job to each confirmed import left without one (confirmed before imports were
    jobs: queued, or "running" on a thread that died); returns how many were queued."""
    orphans = db.session.scalars(
        sa.select(MetricImport).where(
            MetricImport.status.in_((ImportStatus.QUEUED.value, ImportStatus.RUNNING.value)),
            ~sa.exists().where(
                Job.key == sa.literal("metrics-import:") + sa.cast(MetricImport.id, sa.String)
            ),
        )
    ).all()
    for metric_import in orphans:
        enqueue(
            IMPORT_JOB,
            {"import_id": metric_import.id},
            key=import_job_key(metric_import.id),
            organization_id=metric_import.organization_id,
            max_attempts=IMPORT_JOB_ATTEMPTS,
        )
    db.session.commit()
    return len(orphans)


def get_progress(import_id: int) -> dict[str, Any] | None:
    """``{"progress", "rows", "state"}`` of the import's job, read from the database (any
    process sees it); ``state`` is "waiting", "running", "interrupted" (its worker stopped
    answering; it will be run again), "retrying" (it failed and waits for its next attempt),
    "failed" or "done". None when the import has no job."""
    job = db.session.scalar(sa.select(Job).where(Job.key == import_job_key(import_id)))
    if job is None:
        return None
    progress = dict(job.progress or {})
    now = utcnow()
    if job.status == JobStatus.RUNNING:
        stale = job.heartbeat_at is None or job.heartbeat_at < now - runner.stale_after()
        state = "interrupted" if stale else "running"
    elif job.status == JobStatus.QUEUED:
        state = "retrying" if job.attempts else "waiting"
    else:
        state = str(job.status)
    return {
        "progress": float(progress.get("progress", 0.0)),
        "rows": int(progress.get("rows", 0)),
        "state": state,
        "attempts": job.attempts,
    }
