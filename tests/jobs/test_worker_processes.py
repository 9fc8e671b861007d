"""The job queue with real processes (issue 19): Celery workers started with ``flask worker``,
a private redis-server on a free port, a real SMTP server (aiosmtpd). Each waits a bounded
time and stops what it started.

- the embedded demo's broker (kombu's SQLAlchemy transport on SQLite) carries a job;
- Redis stopped for 10 s while jobs are queued: nothing is lost, work resumes;
- (``test_worker_killed.py``) a worker killed with -9 in the middle of a large import.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing import outbox
from comarketing.extensions import db
from comarketing.jobs import Job, JobStatus
from tests.jobs.processes import Worker, private_redis, settings_file, wait_for, workers

pytestmark = pytest.mark.slow


def queue_mail(app: Flask, count: int, tag: str) -> list[int]:
    """``count`` messages, each with its delivery job, committed (and handed to the broker)."""
    with app.app_context():
        messages = [
            outbox.enqueue(f"person{n}@example.com", f"{tag} {n}", f"Hello {n}")
            for n in range(count)
        ]
        db.session.commit()
        ids = [m.id for m in messages]
        db.session.remove()
    return ids


def sent(app: Flask, ids: list[int]) -> int:
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(outbox.OutboxMessage)
            .where(outbox.OutboxMessage.id.in_(ids), outbox.OutboxMessage.sent_at.is_not(None))
        )
        db.session.remove()
    return int(count or 0)


def mail_settings(app: Flask, tmp_path: Path, smtp_port: int, **extra: Any) -> Path:
    return settings_file(
        tmp_path,
        app.config,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_port,
        JOBS_SWEEP_SECONDS=1,
        JOBS_STALE_AFTER_SECONDS=3,
        **extra,
    )


@pytest.mark.filterwarnings(
    # kombu 5.7's SQLAlchemy transport declares a relationship with lazy="noload", which
    # SQLAlchemy 2.1 deprecates; it still works (this test is the proof).
    "ignore:The ``noload`` loader strategy is deprecated:sqlalchemy.exc.SADeprecationWarning"
)
def test_the_embedded_sqlite_broker_carries_a_job_to_a_worker(
    make_app: Any, tmp_path: Path, smtp_server: Any
) -> None:
    broker = f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"
    app = make_app(JOBS_BACKEND="celery", CELERY_BROKER_URL=broker)
    settings = mail_settings(app, tmp_path, smtp_server.port, CELERY_BROKER_URL=broker)
    ids = queue_mail(app, 3, "Demo")  # published into the SQLite broker after the commit
    worker = Worker(
        tmp_path, settings, "demo", "--pool=solo", "--beat", f"--schedule={tmp_path / 'beat'}"
    )
    with workers(worker.start()):
        wait_for(lambda: sent(app, ids) == 3, 60, f"3 mails sent\n{worker.log()}")
    assert sorted(m.message["Subject"] for m in smtp_server.received) == [
        "Demo 0",
        "Demo 1",
        "Demo 2",
    ]
    with app.app_context():
        jobs = db.session.scalars(sa.select(Job).where(Job.kind == "mail.send")).all()
        assert [(j.status, j.attempts) for j in jobs] == [(JobStatus.DONE, 1)] * 3


def test_redis_stopped_for_ten_seconds_loses_no_queued_job(
    make_app: Any, tmp_path: Path, smtp_server: Any
) -> None:
    import time

    with private_redis(tmp_path) as server:
        app = make_app(
            JOBS_BACKEND="celery", REDIS_URL=server.url, RATELIMIT_STORAGE_URI="memory://"
        )
        settings = mail_settings(app, tmp_path, smtp_server.port, REDIS_URL=server.url)
        worker = Worker(
            tmp_path,
            settings,
            "outage",
            "--pool=threads",
            "--concurrency=4",
            "--beat",
            f"--schedule={tmp_path / 'beat'}",
        )
        with workers(worker.start()):
            before = queue_mail(app, 10, "Before")
            wait_for(lambda: sent(app, before) == 10, 60, f"the first mails\n{worker.log()}")

            server.stop()
            stopped = time.monotonic()
            # Committed while the broker is down: the requests' hand-over fails (logged), the
            # rows stay queued.
            during = queue_mail(app, 20, "During")
            assert sent(app, during) == 0
            time.sleep(max(0.0, 10 - (time.monotonic() - stopped)))
            server.start()  # empty: whatever it held before is gone too

            wait_for(lambda: sent(app, during) == 20, 60, f"the queued mails\n{worker.log()}")
            after = queue_mail(app, 5, "After")
            wait_for(lambda: sent(app, after) == 5, 60, f"new mails\n{worker.log()}")
    subjects = [m.message["Subject"] for m in smtp_server.received]
    assert len(subjects) == len(set(subjects)) == 35  # each once, none lost
