"""The jobs table's own rules: queued with the caller's transaction, claimed once, retried
with backoff, failed after its last attempt, reclaimed when its worker died."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.jobs import Job, JobStatus, enqueue, handler, runner

CALLS: list[dict[str, Any]] = []


@handler("test.later")
def _later(payload: dict[str, Any]) -> None:
    CALLS.append(payload)  # kept though the job is not done: it commits with the requeue
    if payload.get("give_up"):
        raise runner.GiveUp("the endpoint is gone")
    raise runner.Retry(timedelta(minutes=5), "asked to come back")


@handler("test.record")
def _record(payload: dict[str, Any]) -> dict[str, Any]:
    if payload.get("fail"):
        raise RuntimeError("the receiver said no")
    CALLS.append(payload)
    return {"seen": payload["n"]}


@pytest.fixture(autouse=True)
def _fresh_calls() -> None:
    CALLS.clear()


def test_a_job_commits_with_its_cause_and_runs_once(ctx: Flask) -> None:
    job = enqueue("test.record", {"n": 1})
    db.session.rollback()  # the action failed: nothing was queued
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Job)) == 0

    job = enqueue("test.record", {"n": 2})
    db.session.commit()
    assert runner.drain() == 1
    assert runner.drain() == 0
    db.session.refresh(job)
    assert (job.status, job.result, job.attempts) == (JobStatus.DONE, {"seen": 2}, 1)
    assert CALLS == [{"n": 2}]


def test_the_same_key_queues_one_job(ctx: Flask) -> None:
    first = enqueue("test.record", {"n": 1}, key="digest:2026-12-06")
    db.session.commit()
    again = enqueue("test.record", {"n": 1}, key="digest:2026-12-06")
    db.session.commit()
    assert again.id == first.id


def test_a_failure_backs_off_then_fails_for_good(ctx: Flask) -> None:
    job = enqueue("test.record", {"n": 3, "fail": True}, max_attempts=2)
    db.session.commit()
    assert runner.run(job.id) == JobStatus.QUEUED
    db.session.refresh(job)
    assert job.run_after > utcnow() + timedelta(seconds=4)
    assert "the receiver said no" in (job.error or "")
    assert runner.run(job.id) is None  # not due yet

    job.run_after = utcnow()
    db.session.commit()
    assert runner.run(job.id) == JobStatus.FAILED
    db.session.refresh(job)
    assert job.attempts == 2 and job.finished_at is not None


def test_a_running_job_is_claimed_again_only_when_its_heartbeat_is_stale(ctx: Flask) -> None:
    job = enqueue("test.record", {"n": 4})
    db.session.commit()
    assert runner.claim(job.id)
    assert not runner.claim(job.id)  # a live worker has it

    db.session.execute(
        sa.update(Job).values(heartbeat_at=utcnow() - runner.STALE_AFTER - timedelta(seconds=1))
    )
    db.session.commit()
    assert runner.run(job.id) == JobStatus.DONE
    db.session.refresh(job)
    assert job.attempts == 2
    assert CALLS == [{"n": 4}]


@pytest.mark.parametrize("attempts", [1, 2, 5, 20])
def test_backoff_grows_and_is_capped(attempts: int) -> None:
    delay = runner.backoff(attempts).total_seconds()
    ceiling = min(runner.BACKOFF_CAP_SECONDS, runner.BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
    assert ceiling / 2 <= delay <= ceiling


def test_a_handler_can_ask_to_run_later_or_give_up(ctx: Flask) -> None:
    later = enqueue("test.later", {"n": 5})
    gone = enqueue("test.later", {"n": 6, "give_up": True})
    db.session.commit()
    assert runner.run(later.id) == JobStatus.QUEUED
    assert runner.run(gone.id) == JobStatus.FAILED
    db.session.refresh(later)
    assert later.run_after > utcnow() + timedelta(minutes=4)
    assert later.error == "asked to come back"
    db.session.refresh(gone)
    assert gone.error == "the endpoint is gone"


def test_the_inline_backend_runs_what_the_request_queued_not_what_waited_before(
    ctx: Flask,
) -> None:
    from comarketing.jobs import dispatch

    waiting = enqueue("test.record", {"n": 1})  # queued before the request (a test's setup)
    db.session.commit()
    dispatch.before_request()
    mine = enqueue("test.record", {"n": 2})
    db.session.commit()
    dispatch.after_request()
    db.session.refresh(waiting)
    db.session.refresh(mine)
    assert (mine.status, waiting.status) == (JobStatus.DONE, JobStatus.QUEUED)
    assert CALLS == [{"n": 2}]
    assert runner.drain() == 1  # a worker (or `flask jobs run-due`) still runs the other
    assert CALLS == [{"n": 2}, {"n": 1}]
