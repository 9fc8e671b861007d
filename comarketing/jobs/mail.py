"""Mail delivery as jobs: one ``mail.send`` job per outbox message, queued in the transaction
that queued the message (so the request never waits for SMTP and no committed mail is lost).

A failed delivery is retried with the runner's backoff until the outbox's ``MAX_ATTEMPTS``.
Delivery is at least once: a worker killed between the SMTP server's "250 OK" and its commit
sends the message again on the retry, with the same ``Message-ID`` (receivers de-duplicate).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from comarketing import outbox
from comarketing.extensions import db
from comarketing.jobs import runner
from comarketing.jobs.models import Job, JobStatus
from comarketing.jobs.queue import enqueue, mark_queued
from comarketing.jobs.registry import handler

KIND = "mail.send"
_NEW_MESSAGES = "outbox_new_messages"


def job_key(message_id: int) -> str:
    return f"mail:{message_id}"


@sa.event.listens_for(Session, "after_flush")
def _note_new_messages(session: Session, _context: Any) -> None:
    new = [m for m in session.new if isinstance(m, outbox.OutboxMessage)]
    if new:
        session.info.setdefault(_NEW_MESSAGES, []).extend(new)


@sa.event.listens_for(Session, "after_flush_postexec")
def _queue_delivery(session: Session, _context: Any) -> None:
    """A delivery job for each message just written, in the same transaction (flushed with
    the commit)."""
    for message in session.info.pop(_NEW_MESSAGES, []):
        session.add(
            Job(
                kind=KIND,
                payload={"message_id": message.id},
                key=job_key(message.id),
                status=JobStatus.QUEUED,
                attempts=0,
                max_attempts=outbox.MAX_ATTEMPTS,
                run_after=message.created_at,
            )
        )
        mark_queued(session)


@handler(KIND)
def send_message(payload: dict[str, Any]) -> dict[str, Any]:
    message = db.session.scalar(
        sa.select(outbox.OutboxMessage)
        .where(outbox.OutboxMessage.id == payload["message_id"])
        .with_for_update(skip_locked=True)
    )
    if message is None:
        exists = db.session.get(outbox.OutboxMessage, payload["message_id"]) is not None
        if exists:  # `flask send-outbox` is sending it right now
            raise runner.Retry(runner.backoff(1), "being sent by another process")
        return {"sent": False, "reason": "no such message"}
    if message.sent_at is not None:
        return {"sent": False, "reason": "already sent"}
    error = outbox.send_one(message)
    if error is None:
        return {"sent": True}
    if message.attempts >= outbox.MAX_ATTEMPTS:
        raise runner.GiveUp(error)
    raise runner.Retry(runner.backoff(message.attempts), error)


@handler("periodic.mail_retry")
def queue_forgotten_mail(payload: dict[str, Any]) -> dict[str, Any]:
    """Unsent mail without a delivery job (queued before jobs existed) gets one."""
    unsent = db.session.scalars(
        sa.select(outbox.OutboxMessage.id)
        .where(
            outbox.OutboxMessage.sent_at.is_(None),
            outbox.OutboxMessage.attempts < outbox.MAX_ATTEMPTS,
            ~sa.exists().where(
                Job.key == sa.literal("mail:") + sa.cast(outbox.OutboxMessage.id, sa.String)
            ),
        )
        .limit(1000)
    ).all()
    for message_id in unsent:
        enqueue(KIND, {"message_id": message_id}, key=job_key(message_id))
    return {"queued": len(unsent)}
