"""The sweeper: re-sends jobs the broker never delivered or whose worker died.

A job row is the truth; a message can be lost (the broker was down when the request committed,
a worker was killed before acknowledging and its message sat out a visibility timeout). Every
``JOBS_SWEEP_SECONDS`` the scheduler runs :func:`sweep`: jobs queued and due for longer than a
sweep period, and running ones with a stale heartbeat, are sent again. A second message for a
job is harmless: the runner's claim lets one worker run it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from comarketing.extensions import db
from comarketing.jobs import dispatch, runner

log = logging.getLogger("comarketing.jobs")


def sweep(limit: int = 1000) -> int:
    """Send the overlooked jobs again; returns how many were sent."""
    runner.abandon_exhausted()
    grace = timedelta(seconds=float(current_app.config["JOBS_SWEEP_SECONDS"]))
    ids = runner.due_ids(limit, grace=grace)
    db.session.rollback()  # read only: end the snapshot
    sent = sum(dispatch.send(job_id) for job_id in ids)
    if ids:
        log.info("sweeper: %s overlooked job(s), %s sent", len(ids), sent)
    return sent
