"""Queueing a job in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs.models import Job

_QUEUED_FLAG = "jobs_queued"


def enqueue(
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    key: str | None = None,
    organization_id: int | None = None,
    run_after: datetime | None = None,
    max_attempts: int = 8,
) -> Job:
    """Add a job to the session; it is handed to a worker once the caller commits. With a
    ``key`` already queued (in this transaction or before), the earlier job is returned."""
    if key is not None:
        existing = db.session.scalar(sa.select(Job).where(Job.key == key))
        if existing is not None:
            return existing
    job = Job(
        kind=kind,
        payload=payload or {},
        key=key,
        organization_id=organization_id,
        run_after=run_after or utcnow(),
        max_attempts=max_attempts,
    )
    db.session.add(job)
    db.session.info[_QUEUED_FLAG] = True
    return job


def mark_queued(session: Any) -> None:
    """Note that ``session`` queued a job (the inline backend runs them after the request)."""
    session.info[_QUEUED_FLAG] = True


def has_queued() -> bool:
    return bool(db.session.info.get(_QUEUED_FLAG))


def clear_queued_flag() -> None:
    db.session.info.pop(_QUEUED_FLAG, None)
