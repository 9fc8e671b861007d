"""Background jobs (issue 19): everything that is not the request.

A service calls :func:`enqueue` inside its own transaction; the job's row commits with the work
that asked for it (a rolled-back action queues nothing, a committed one never loses its job).
After the commit the row is handed to the worker (:mod:`comarketing.jobs.dispatch`); a worker
claims it (:mod:`comarketing.jobs.runner`), runs the handler registered for its kind and records
the outcome. The row is the truth the admin page shows and the sweeper trusts: a job whose
worker died is claimed again once its heartbeat is stale.
"""

from comarketing.jobs.models import Job, JobStatus
from comarketing.jobs.queue import enqueue
from comarketing.jobs.registry import handler

__all__ = ["Job", "JobStatus", "enqueue", "handler"]
