"""Handing committed jobs to a worker.

``JOBS_BACKEND = "inline"`` runs them in this process at the end of the request that queued
them, after its commit (tests, and until the worker exists). The queue backend replaces this.
"""

from __future__ import annotations

from flask import current_app

from comarketing.jobs import queue, runner


def after_request() -> None:
    """Called once the request's transaction has committed."""
    if not queue.has_queued():
        return
    queue.clear_queued_flag()
    if current_app.config["JOBS_BACKEND"] == "inline":
        runner.drain()
