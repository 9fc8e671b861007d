"""Raising an event in the caller's transaction: one row per recipient company, and a delivery
job for each of its webhook endpoints subscribed to the type."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

import sqlalchemy as sa

from comarketing.db import utcnow
from comarketing.events.catalogue import TYPES
from comarketing.events.models import Event
from comarketing.extensions import db
from comarketing.jobs import enqueue

DELIVER = "webhook.deliver"

# Light references: the campaigns and webhooks packages sit to the right of this one.
_campaign_parties = sa.table(
    "campaign_parties", sa.column("campaign_id"), sa.column("organization_id")
)
_endpoints = sa.table(
    "webhook_endpoints",
    sa.column("id"),
    sa.column("organization_id"),
    sa.column("enabled", sa.Boolean),
    sa.column("event_types", sa.JSON),
)


def new_public_id(prefix: str = "evt") -> str:
    return f"{prefix}_{secrets.token_urlsafe(18)}"


def raise_(type_: str, organization_ids: Iterable[int | None], /, **data: Any) -> list[Event]:
    """Tell each company in ``organization_ids`` that ``type_`` happened, with the same
    ``data`` for all: use it when every recipient may see every field."""
    return raise_each(type_, {org: data for org in organization_ids if org is not None})


def raise_each(type_: str, payloads: Mapping[int, Mapping[str, Any]]) -> list[Event]:
    """Tell each company its own version of the event (``{organization_id: data}``)."""
    entry = TYPES.get(type_)
    if entry is None:
        raise ValueError(f"unknown event type {type_!r}")
    now = utcnow()
    events = []
    for organization_id, data in sorted(payloads.items()):
        if set(data) != set(entry.fields):
            raise ValueError(
                f"{type_} payload fields {sorted(data)} differ from the catalogue's "
                f"{sorted(entry.fields)}"
            )
        event = Event(
            public_id=new_public_id(),
            organization_id=organization_id,
            type=type_,
            occurred_at=now,
            data={key: _plain(value) for key, value in data.items()},
        )
        db.session.add(event)
        events.append(event)
    if events:
        db.session.flush()
        _queue_deliveries(type_, events)
    return events


def _queue_deliveries(type_: str, events: list[Event]) -> None:
    by_org = {event.organization_id: event for event in events}
    rows = db.session.execute(
        sa.select(_endpoints.c.id, _endpoints.c.organization_id, _endpoints.c.event_types).where(
            _endpoints.c.organization_id.in_(sorted(by_org)), _endpoints.c.enabled.is_(True)
        )
    ).all()
    for endpoint_id, organization_id, types in sorted(rows):
        if type_ not in (types or []):
            continue
        event = by_org[organization_id]
        enqueue(
            DELIVER,
            {"endpoint_id": endpoint_id, "event_id": event.id},
            key=f"webhook:{endpoint_id}:{event.id}",
            organization_id=organization_id,
            max_attempts=20,
        )


def campaign_parties(campaign_id: int) -> list[int]:
    """The companies taking part in a campaign (its owner alone for a solo campaign)."""
    return sorted(
        db.session.scalars(
            sa.select(_campaign_parties.c.organization_id).where(
                _campaign_parties.c.campaign_id == campaign_id
            )
        )
    )


def envelope(event: Event) -> dict[str, Any]:
    """The JSON body a receiver gets (and the changes feed lists)."""
    return {
        "type": event.type,
        "id": event.public_id,
        "occurred_at": iso_time(event.occurred_at),
        "data": event.data,
    }


def iso_time(value: datetime) -> str:
    """UTC, to the second: ``2026-12-06T15:49:32Z``."""
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return iso_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_plain(v) for v in value]
        return sorted(items) if isinstance(value, (set, frozenset)) else items
    return value
