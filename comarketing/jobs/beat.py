"""A running job's heartbeat: a thread of its worker that writes the job's ``heartbeat_at`` (and
its latest progress) every third of the stale limit, in a connection of its own, until the job
ends. A worker killed with ``kill -9`` stops beating; the sweeper then hands the job on."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs.models import Job, JobStatus

log = logging.getLogger("comarketing.jobs")


class Beat:
    """A thread beating one job's heartbeat every third of the stale limit until stopped."""

    def __init__(self, job_id: int, state: dict[str, Any], stale_after: timedelta) -> None:
        self.job_id = job_id
        self.state = state
        self.engine = db.engine
        if self.engine.dialect.name == "sqlite":
            # The job's own transaction may hold SQLite's only write lock for minutes: a beat
            # waits a second, not the app's 15, so stopping the thread never lingers.
            self.engine = sa.create_engine(self.engine.url, connect_args={"timeout": 1})
        self.interval = max(stale_after.total_seconds() / 3, 0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name=f"job-{job_id}-beat", daemon=True)

    def _loop(self) -> None:
        written: Any = None
        while not self.stop.wait(self.interval):
            progress = self.state.get("progress")
            values: dict[str, Any] = {"heartbeat_at": utcnow()}
            if progress is not None and progress != written:
                values["progress"] = progress
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        sa.update(Job)
                        .where(Job.id == self.job_id, Job.status == JobStatus.RUNNING)
                        .values(**values)
                    )
                written = progress
            except sa.exc.SQLAlchemyError as exc:  # SQLite busy, a database blip: beat again
                log.info("job %s heartbeat not written: %s", self.job_id, exc.__class__.__name__)

    def __enter__(self) -> Beat:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
        if self.engine is not db.engine:
            self.engine.dispose()
