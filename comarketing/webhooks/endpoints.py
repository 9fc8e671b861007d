"""A company's webhook endpoints: register, change, rotate the secret, enable or disable,
delete; send a test event, redeliver an event; the delivery log. Admins only (policy)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from comarketing import audit
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import NotFound, ValidationFailed
from comarketing.events import TYPES, Event
from comarketing.events.feed import CURSOR
from comarketing.events.raising import DELIVER, iso_time, new_public_id
from comarketing.extensions import db
from comarketing.jobs import enqueue
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional
from comarketing.webhooks import delivery, signing, transport
from comarketing.webhooks.models import WebhookAttempt, WebhookEndpoint

MAX_ENDPOINTS = 10
MAX_URL = 2000
LOG_DAYS = delivery.LOG_DAYS
LOG_ROWS = 200


def _allow_loopback() -> bool:
    return bool(current_app.config["WEBHOOKS_ALLOW_HTTP_LOOPBACK"])


def list_endpoints(actor: Actor) -> list[WebhookEndpoint]:
    authorize(actor.user, Action.MANAGE_WEBHOOKS)
    return list(
        db.session.scalars(
            sa.select(WebhookEndpoint)
            .where(WebhookEndpoint.organization_id == actor.organization_id)
            .order_by(WebhookEndpoint.id)
        )
    )


def get_endpoint(actor: Actor, endpoint_id: int, *, lock: bool = False) -> WebhookEndpoint:
    """The actor's company's endpoint; another company's answers like a missing one."""
    authorize(actor.user, Action.MANAGE_WEBHOOKS)
    query = sa.select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id,
        WebhookEndpoint.organization_id == actor.organization_id,
    )
    endpoint = db.session.scalar(query.with_for_update() if lock else query)
    if endpoint is None:
        raise NotFound()
    return endpoint


def _clean(url: str, description: str, event_types: Iterable[str]) -> tuple[str, str, list[str]]:
    url = (url or "").strip()
    if not url:
        raise ValidationFailed("Give the URL that receives the events.", field="url")
    if len(url) > MAX_URL:
        raise ValidationFailed(f"Keep the URL under {MAX_URL:,} characters.", field="url")
    try:
        transport.check_url(url, allow_http_loopback=_allow_loopback())
    except transport.Refused as exc:
        raise ValidationFailed(str(exc), field="url") from exc
    description = (description or "").strip()
    if len(description) > 200:
        raise ValidationFailed("Keep the description under 200 characters.", field="description")
    chosen = sorted(set(event_types))
    unknown = [t for t in chosen if t not in TYPES]
    if unknown:
        raise ValidationFailed(f"Unknown event type: {unknown[0]}.", field="event_types")
    if not chosen:
        raise ValidationFailed("Choose at least one event type.", field="event_types")
    return url, description, chosen


@transactional
def create_endpoint(
    actor: Actor, *, url: str, description: str, event_types: Iterable[str]
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it with its secret (shown to the admin once)."""
    authorize(actor.user, Action.MANAGE_WEBHOOKS)
    url, description, chosen = _clean(url, description, event_types)
    count = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(WebhookEndpoint)
        .where(WebhookEndpoint.organization_id == actor.organization_id)
    )
    if (count or 0) >= MAX_ENDPOINTS:
        raise ValidationFailed(
            f"A company can have at most {MAX_ENDPOINTS} endpoints; delete one first.",
            field="url",
        )
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        organization_id=actor.organization_id,
        url=url,
        description=description,
        event_types=chosen,
        secret=secret,
        created_by_id=actor.user_id,
    )
    db.session.add(endpoint)
    db.session.flush()
    audit.record("webhook.endpoint_created", actor=actor, target=endpoint, url=url)
    db.session.commit()
    return endpoint, secret


@transactional
def update_endpoint(
    actor: Actor, endpoint_id: int, *, url: str, description: str, event_types: Iterable[str]
) -> WebhookEndpoint:
    endpoint = get_endpoint(actor, endpoint_id, lock=True)
    endpoint.url, endpoint.description, endpoint.event_types = _clean(url, description, event_types)
    audit.record("webhook.endpoint_changed", actor=actor, target=endpoint, url=endpoint.url)
    db.session.commit()
    return endpoint


@transactional
def rotate_secret(actor: Actor, endpoint_id: int) -> tuple[WebhookEndpoint, str]:
    """A new secret signs from now on; the old one keeps signing too during the overlap, so
    the receiver can switch without losing a delivery. Returns the new secret (shown once)."""
    endpoint = get_endpoint(actor, endpoint_id, lock=True)
    hours = int(current_app.config["WEBHOOKS_ROTATION_OVERLAP_HOURS"])
    secret = signing.new_secret()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = utcnow() + timedelta(hours=hours)
    endpoint.secret = secret
    audit.record("webhook.secret_rotated", actor=actor, target=endpoint, overlap_hours=hours)
    db.session.commit()
    return endpoint, secret


@transactional
def set_enabled(actor: Actor, endpoint_id: int, *, enabled: bool) -> WebhookEndpoint:
    endpoint = get_endpoint(actor, endpoint_id, lock=True)
    if endpoint.enabled != enabled:
        endpoint.enabled = enabled
        endpoint.failing_since = None
        endpoint.disabled_at = None if enabled else utcnow()
        endpoint.disabled_reason = "" if enabled else "Disabled by an admin."
        audit.record(
            "webhook.endpoint_enabled" if enabled else "webhook.endpoint_disabled",
            actor=actor,
            target=endpoint,
        )
    db.session.commit()
    return endpoint


@transactional
def delete_endpoint(actor: Actor, endpoint_id: int) -> None:
    endpoint = get_endpoint(actor, endpoint_id, lock=True)
    audit.record("webhook.endpoint_deleted", actor=actor, target=endpoint, url=endpoint.url)
    db.session.delete(endpoint)
    db.session.commit()


@transactional
def send_test(actor: Actor, endpoint_id: int) -> str:
    """Queue a ``webhook.test`` delivery (sent even to a disabled endpoint, to check a fix);
    returns its message id."""
    endpoint = get_endpoint(actor, endpoint_id)
    message_id = new_public_id("msg")
    enqueue(
        DELIVER,
        {
            "endpoint_id": endpoint.id,
            "test": True,
            "message_id": message_id,
            "occurred_at": iso_time(utcnow()),
        },
        organization_id=endpoint.organization_id,
    )
    db.session.commit()
    return message_id


@transactional
def redeliver(actor: Actor, endpoint_id: int, event_id: str) -> Event:
    """Send one of the company's events to the endpoint again (its retries start afresh)."""
    endpoint = get_endpoint(actor, endpoint_id)
    if not CURSOR.fullmatch(event_id or ""):
        raise NotFound()
    if not endpoint.enabled:
        raise ValidationFailed("Enable the endpoint before redelivering.", field="event")
    event = db.session.scalar(
        sa.select(Event).where(
            Event.public_id == event_id, Event.organization_id == actor.organization_id
        )
    )
    if event is None:
        raise NotFound()
    enqueue(
        DELIVER,
        {"endpoint_id": endpoint.id, "event_id": event.id, "since": utcnow().isoformat()},
        organization_id=endpoint.organization_id,
    )
    audit.record("webhook.redelivered", actor=actor, target=endpoint, event=event.public_id)
    db.session.commit()
    return event


@dataclass(frozen=True)
class EventRow:
    event: Event
    attempts: int
    last: WebhookAttempt | None


def recent_events(actor: Actor, endpoint: WebhookEndpoint) -> list[EventRow]:
    """The company's events of the endpoint's types in the last 30 days (newest first, at most
    200), each with how many attempts went to this endpoint and the last one."""
    since = utcnow() - timedelta(days=LOG_DAYS)
    events = list(
        db.session.scalars(
            sa.select(Event)
            .where(
                Event.organization_id == actor.organization_id,
                Event.type.in_(endpoint.event_types),
                Event.occurred_at >= since,
            )
            .order_by(Event.id.desc())
            .limit(LOG_ROWS)
        )
    )
    by_event: dict[int, list[WebhookAttempt]] = {}
    for attempt in db.session.scalars(
        sa.select(WebhookAttempt)
        .where(
            WebhookAttempt.endpoint_id == endpoint.id,
            WebhookAttempt.event_id.in_([e.id for e in events]),
        )
        .order_by(WebhookAttempt.id)
    ):
        by_event.setdefault(attempt.event_id or 0, []).append(attempt)
    rows = []
    for event in events:
        tried = by_event.get(event.id, [])
        rows.append(EventRow(event, len(tried), tried[-1] if tried else None))
    return rows


def delivery_log(actor: Actor, endpoint: WebhookEndpoint) -> list[WebhookAttempt]:
    """The endpoint's attempts of the last 30 days, newest first (at most 200)."""
    since: datetime = utcnow() - timedelta(days=LOG_DAYS)
    return list(
        db.session.scalars(
            sa.select(WebhookAttempt)
            .where(
                WebhookAttempt.endpoint_id == endpoint.id,
                WebhookAttempt.organization_id == actor.organization_id,
                WebhookAttempt.attempted_at >= since,
            )
            .order_by(WebhookAttempt.id.desc())
            .limit(LOG_ROWS)
        )
    )
