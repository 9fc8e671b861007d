"""Delivering one event to one endpoint: the ``webhook.deliver`` job.

At least once: the job is queued with the event (same transaction) and retried on timeouts,
connection errors, 408/409/425/429 and 5xx, with exponential backoff and jitter over more than a
day (:data:`SCHEDULE`), never sooner than the receiver's ``Retry-After``. Other answers (3xx,
4xx) and refused addresses are not retried. Each attempt is logged; an endpoint whose attempts
kept failing for ``WEBHOOKS_DISABLE_AFTER_DAYS`` is disabled and its company's admins are told.

Every delivery of one event carries the same ``webhook-id`` (the event's id), so a receiver
that saw it before can ignore it.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from comarketing.db import utcnow
from comarketing.events import Event, envelope
from comarketing.events.catalogue import TEST_TYPE
from comarketing.events.raising import DELIVER, iso_time
from comarketing.extensions import db
from comarketing.jobs import handler
from comarketing.jobs.runner import GiveUp, Retry
from comarketing.webhooks import signing, transport
from comarketing.webhooks.disabling import note_failure, note_success
from comarketing.webhooks.models import AttemptOutcome, WebhookAttempt, WebhookEndpoint

# Delay before the attempt after the n-th failure, in seconds; each gets +/-20 % jitter. They
# add up to 31.7 hours (25.4 at the least jitter): retries go on for more than a day.
SCHEDULE = [30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800, 28800]
JITTER = 0.2
RETRIED_STATUSES = {408, 409, 425, 429}
MAX_RETRY_AFTER = timedelta(days=1)
LOG_DAYS = 30

__all__ = ["DELIVER", "deliver", "retry_delay"]


def retry_delay(failures: int, retry_after: float | None = None) -> timedelta:
    """When to try again after ``failures`` failed attempts: the schedule's step with jitter,
    or the receiver's Retry-After when that is later (at most a day)."""
    base = SCHEDULE[min(failures, len(SCHEDULE)) - 1]
    delay = timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))
    if retry_after is not None:
        delay = max(delay, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
    return delay


def retryable(status: int | None) -> bool:
    """No answer at all, 408/409/425/429 and 5xx are worth another try; other answers are not."""
    return status is None or status in RETRIED_STATUSES or status >= 500


@handler(DELIVER)
def deliver(payload: dict[str, Any]) -> dict[str, Any] | None:
    endpoint = db.session.get(WebhookEndpoint, int(payload["endpoint_id"]))
    if endpoint is None:
        return {"skipped": "the endpoint was deleted"}
    since = datetime.fromisoformat(payload["since"]) if payload.get("since") else None
    if payload.get("test"):
        message_id, event_type = str(payload["message_id"]), TEST_TYPE
        event = None
        body_object = {
            "type": TEST_TYPE,
            "id": message_id,
            "occurred_at": payload["occurred_at"],
            "data": {"endpoint_id": endpoint.id},
        }
    else:
        event = db.session.get(Event, int(payload["event_id"]))
        if event is None or event.organization_id != endpoint.organization_id:
            return {"skipped": "the event is gone"}
        message_id, event_type, body_object = event.public_id, event.type, envelope(event)
    earlier = _earlier_attempts(endpoint.id, message_id, since)
    if AttemptOutcome.DELIVERED in earlier:
        return {"skipped": "already delivered"}  # a second run of a finished job
    if not endpoint.enabled and event is not None:  # a test event checks a fix first
        raise GiveUp("the endpoint is disabled")
    answer = _send(endpoint, message_id, body_object)
    number = len(earlier) + 1
    _forget_old_attempts(endpoint.id)
    attempt = WebhookAttempt(
        organization_id=endpoint.organization_id,
        endpoint_id=endpoint.id,
        event_id=event.id if event else None,
        message_id=message_id,
        event_type=event_type,
        status_code=answer.status,
        error=answer.error[:300],
        latency_ms=answer.latency_ms,
        response_excerpt=answer.excerpt.decode("utf-8", "replace"),
        details={"attempt": number, "redelivery": since is not None},
    )
    if answer.ok:
        attempt.outcome = AttemptOutcome.DELIVERED
        db.session.add(attempt)
        if event is not None:
            note_success(endpoint)
        return {"status": answer.status, "attempt": number}
    reason = answer.error or f"HTTP {answer.status}"
    if event is not None:
        note_failure(endpoint)  # may disable the endpoint (days of failure)
    more = (
        event is not None
        and endpoint.enabled
        and retryable(answer.status)
        and not answer.refused
        and number <= len(SCHEDULE)
    )
    if not more:
        attempt.outcome = AttemptOutcome.FAILED
        db.session.add(attempt)
        raise GiveUp(f"attempt {number}: {reason}")
    delay = retry_delay(number, answer.retry_after)
    attempt.outcome = AttemptOutcome.RETRYING
    attempt.details = {**attempt.details, "next_attempt_at": iso_time(utcnow() + delay)}
    db.session.add(attempt)
    raise Retry(delay, f"attempt {number}: {reason}")


def _forget_old_attempts(endpoint_id: int) -> None:
    """The log keeps :data:`LOG_DAYS` days: each new attempt removes the endpoint's older ones."""
    db.session.execute(
        sa.delete(WebhookAttempt).where(
            WebhookAttempt.endpoint_id == endpoint_id,
            WebhookAttempt.attempted_at < utcnow() - timedelta(days=LOG_DAYS),
        )
    )


def _earlier_attempts(endpoint_id: int, message_id: str, since: datetime | None) -> list[str]:
    query = sa.select(WebhookAttempt.outcome).where(
        WebhookAttempt.endpoint_id == endpoint_id, WebhookAttempt.message_id == message_id
    )
    if since is not None:
        query = query.where(WebhookAttempt.attempted_at >= since)
    return list(db.session.scalars(query))


def _send(
    endpoint: WebhookEndpoint, message_id: str, body_object: dict[str, Any]
) -> transport.Answer:
    body = json.dumps(body_object, separators=(",", ":"), ensure_ascii=False)
    config = current_app.config
    now = utcnow()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Comarketing-Webhooks/1",
        **signing.headers(message_id, now, body, endpoint.signing_secrets(now)),
    }
    return transport.post(
        endpoint.url,
        body.encode(),
        headers,
        timeout=float(config["WEBHOOKS_TIMEOUT_SECONDS"]),
        allow_http_loopback=bool(config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"]),
    )
