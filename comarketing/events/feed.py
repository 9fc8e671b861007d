"""The changes feed: a company's events in order, after a cursor (the last event's id)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import ValidationFailed
from comarketing.events.models import Event
from comarketing.extensions import db

CURSOR = re.compile(r"evt_[A-Za-z0-9_-]{1,36}")
MAX_LIMIT = 500


@dataclass(frozen=True)
class FeedPage:
    events: list[Event]
    has_more: bool
    next_cursor: str | None


def events_after(actor: Actor, after: str | None, limit: int) -> FeedPage:
    """The actor's company's events after the one whose id is ``after`` (from the first without
    it), oldest first. Events younger than ``EVENTS_FEED_SETTLE_SECONDS`` wait for the next
    call: an event whose transaction is still committing has its id already, and a cursor
    past it would skip it for good."""
    org = actor.organization_id
    start = 0
    if after:
        found = (
            db.session.scalar(
                sa.select(Event.id).where(Event.public_id == after, Event.organization_id == org)
            )
            if CURSOR.fullmatch(after)
            else None
        )
        if found is None:
            raise ValidationFailed(
                "Unknown cursor: give an event id from this feed.", field="after"
            )
        start = found
    settle = timedelta(seconds=float(current_app.config["EVENTS_FEED_SETTLE_SECONDS"]))
    rows = list(
        db.session.scalars(
            sa.select(Event)
            .where(
                Event.organization_id == org,
                Event.id > start,
                Event.occurred_at <= utcnow() - settle,
            )
            .order_by(Event.id)
            .limit(limit + 1)
        )
    )
    page = rows[:limit]
    return FeedPage(page, len(rows) > limit, page[-1].public_id if page else after)
