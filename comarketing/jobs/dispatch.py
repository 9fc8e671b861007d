"""Handing committed jobs to a worker.

``JOBS_BACKEND = "inline"`` runs them in this process at the end of the request that queued
them, after its commit (tests, a single process). ``"celery"`` sends one "job N is ready"
message per job to the broker once the transaction that wrote the job row has committed (and
again when a retry or an admin re-queues it). The row is the truth: a message lost to a broker
outage is re-sent by the sweeper (:mod:`comarketing.jobs.sweeper`), so a failed send is logged
and never fails the request.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs import queue, runner
from comarketing.jobs.models import Job, JobStatus

log = logging.getLogger("comarketing.jobs")

_TO_SEND = "jobs_to_send"
_FIRST_QUEUED = "jobs_first_queued"
# A message waiting longer than this in the broker risks its visibility timeout: later jobs
# are left to the sweeper, which sends them when they are due.
MAX_COUNTDOWN = timedelta(minutes=10)
# After a failed hand-over this process stops trying for a moment: with the broker down a
# request would otherwise wait on every job it queued.
BROKER_PAUSE_SECONDS = 5.0
_broker_down_until = 0.0


def before_request() -> None:
    """Forget jobs queued before this request in a session it shares (tests, the CLI)."""
    queue.clear_queued_flag()
    db.session.info.pop(_FIRST_QUEUED, None)


def after_request() -> None:
    """Called once the request's transaction has committed. The inline backend runs the jobs
    this request queued and those they queue in turn (ids from the first of them on) — not
    jobs queued earlier by someone else, which a worker or ``flask jobs run-due`` runs."""
    if not queue.has_queued():
        return
    queue.clear_queued_flag()
    first = db.session.info.pop(_FIRST_QUEUED, None)
    if current_app.config["JOBS_BACKEND"] == "inline":
        runner.drain(first_id=first)


def send(job_id: int, run_after: datetime | None = None) -> bool:
    """Tell the workers job ``job_id`` is ready (at ``run_after``); False if the broker could
    not be reached (the sweeper sends it later)."""
    global _broker_down_until
    delay = (run_after - utcnow()).total_seconds() if run_after else 0.0
    if delay > MAX_COUNTDOWN.total_seconds():
        return True
    if time.monotonic() < _broker_down_until:
        return False  # it failed a moment ago: no request waits for it again
    try:
        current_app.extensions["celery"].send_task(
            "comarketing.run_job", (job_id,), countdown=max(delay, 0.0) or None, retry=False
        )
    except Exception as exc:  # any broker failure: the row stays queued for the sweeper
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        log.warning(
            "job %s not sent to the broker; the sweeper will send it (no further attempt "
            "from this process for %s s): %s",
            job_id,
            BROKER_PAUSE_SECONDS,
            exc,
        )
        return False
    return True


def _celery() -> bool:
    return has_app_context() and current_app.config.get("JOBS_BACKEND") == "celery"


@sa.event.listens_for(Session, "after_flush")
def _note_queued(session: Session, _context: Any) -> None:
    if not has_app_context():
        return
    celery = _celery()
    for instance in (*session.new, *session.dirty):
        if isinstance(instance, Job) and instance.status == JobStatus.QUEUED:
            if celery:
                session.info.setdefault(_TO_SEND, {})[instance.id] = instance.run_after
            first = session.info.get(_FIRST_QUEUED)
            session.info[_FIRST_QUEUED] = instance.id if first is None else min(first, instance.id)


@sa.event.listens_for(Session, "after_commit")
def _send_committed(session: Session) -> None:
    waiting: dict[int, datetime] = session.info.pop(_TO_SEND, {})
    if waiting and _celery():
        for job_id, run_after in waiting.items():
            send(job_id, run_after)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, _previous: Any) -> None:
    session.info.pop(_TO_SEND, None)
