"""The Celery application (``JOBS_BACKEND = "celery"``), made the way Flask's "Background Tasks
with Celery" pattern does: every task runs inside the Flask app's context.

The broker only carries "job N is ready" messages; the jobs table is the truth. Tasks are
acknowledged after they ran (``acks_late``) and given back when their worker process dies
(``task_reject_on_worker_lost``), so a job whose worker is killed is delivered again; the
runner's claim makes a second delivery of a running or finished job a no-op.

The broker: ``CELERY_BROKER_URL``, else ``REDIS_URL``, else (the embedded demo) kombu's
SQLAlchemy transport on an SQLite file in ``instance/``. Celery beat sends the sweeper every
``JOBS_SWEEP_SECONDS`` and the periodic rounds (:mod:`comarketing.jobs.schedule`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.signals import worker_process_init
from flask import Flask

from comarketing.extensions import db
from comarketing.jobs import schedule


def broker_url(app: Flask) -> str:
    url = app.config.get("CELERY_BROKER_URL") or app.config.get("REDIS_URL")
    if url:
        return str(url)
    return "sqla+sqlite:///" + str(Path(app.instance_path) / "celery-broker.sqlite")


def settings(app: Flask) -> dict[str, Any]:
    config = app.config
    url = broker_url(app)
    transport: dict[str, Any] = {}
    if url.startswith(("redis://", "rediss://", "unix://")):
        transport = {
            "visibility_timeout": int(config["JOBS_VISIBILITY_TIMEOUT"]),
            # A request hands its job over in milliseconds or gives up: the sweeper re-sends.
            "socket_timeout": 2,
            "socket_connect_timeout": 2,
            "max_retries": 0,
        }
    elif url.startswith("sqla+sqlite"):
        # The SQLAlchemy transport passes these to create_engine: wait for SQLite's lock.
        transport = {"connect_args": {"timeout": 15}}
    return {
        "broker_url": url,
        "broker_transport_options": transport,
        "broker_connection_timeout": 2,
        "broker_connection_retry_on_startup": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "task_ignore_result": True,
        "task_default_queue": str(config["JOBS_QUEUE_NAME"]),
        "task_publish_retry": False,
        "worker_hijack_root_logger": False,
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "beat_schedule": schedule.beat_schedule(float(config["JOBS_SWEEP_SECONDS"])),
        "beat_schedule_filename": str(Path(app.instance_path) / "celerybeat-schedule"),
        "timezone": "UTC",
    }


def init_app(app: Flask) -> Celery:
    """Create the Celery app for ``app`` and keep it in ``app.extensions["celery"]``."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery = Celery(app.name, task_cls=FlaskTask)
    celery.config_from_object(settings(app))
    celery.set_default()
    from comarketing.jobs import tasks  # noqa: F401 - registers the tasks on this app

    app.extensions["celery"] = celery

    @worker_process_init.connect(weak=False)
    def fresh_connections(**_: object) -> None:
        # A forked worker process must not share its parent's database connections.
        with app.app_context():
            db.engine.dispose(close=False)

    return celery
