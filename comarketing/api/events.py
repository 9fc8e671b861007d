"""The changes feed, ``GET /api/v1/events``: the company's events (the webhooks' payloads) in
order, for systems that poll instead of receiving webhooks; and the ``webhooks`` section of the
OpenAPI document, one entry per event type."""

from __future__ import annotations

import copy
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Dict, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from comarketing.api.auth import auth, current_actor
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.schemas import QueryInteger
from comarketing.events import TYPES, envelope
from comarketing.events.catalogue import TEST_TYPE
from comarketing.events.feed import MAX_LIMIT, events_after


class EventsQuery(Schema):
    after = String(
        load_default=None,
        validate=Length(min=1, max=40),
        metadata={"description": "The last event id you processed (`next_cursor`); omit to start."},
    )
    limit = QueryInteger(
        load_default=100,
        validate=Range(min=1, max=MAX_LIMIT),
        metadata={"description": f"1 to {MAX_LIMIT}."},
    )


class EventOut(Schema):
    """One event, exactly as a webhook delivers it. ``data`` holds the type's fields (see the
    document's ``webhooks``)."""

    type = String(required=True, validate=OneOf(list(TYPES)))
    id = String(required=True, metadata={"example": "evt_3xj2Yw6dK1mPq0aZ7RrT9bV4"})
    occurred_at = String(required=True, metadata={"format": "date-time"})
    data = Dict(required=True)


class EventPage(Schema):
    items = List(Nested(EventOut), required=True)
    next_cursor = String(
        required=True,
        allow_none=True,
        metadata={"description": "Give it as `after` next time (null: no event yet)."},
    )
    has_more = Boolean(required=True, metadata={"description": "More events wait already."})


@bp.get("/events")
@bp.auth_required(auth)
@bp.input(EventsQuery, location="query", arg_name="query")
@bp.output(EventPage)
@bp.doc(operation_id="listEvents", responses=ERRORS)
def list_events(query: dict[str, Any]) -> dict[str, Any]:
    """Changes feed

    Your company's events, oldest first, after the event `after` (the `next_cursor` of the
    previous call). The same payloads as webhooks, and only events about records your company
    is a party to. Events appear after a settling delay of a few seconds.
    """
    page = events_after(current_actor(), query["after"], query["limit"])
    return {
        "items": [envelope(event) for event in page.events],
        "next_cursor": page.next_cursor,
        "has_more": page.has_more,
    }


# ---------------------------------------------------------------------------------------------
# The OpenAPI document's webhooks


def _envelope_schema(type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "id", "occurred_at", "data"],
        "properties": {
            "type": {"type": "string", "const": type_},
            "id": {"type": "string", "description": "The event's id; also the webhook-id header."},
            "occurred_at": {"type": "string", "format": "date-time"},
            "data": data,
        },
    }


SIGNATURE_HEADERS = {
    "webhook-id": "The event's id (the same on every retry: use it to ignore repeats).",
    "webhook-timestamp": "Seconds since the epoch when this attempt was signed.",
    "webhook-signature": (
        "`v1,<base64 HMAC-SHA256 of id.timestamp.body>` per signing secret, separated by "
        "spaces (two during a secret rotation). Standard Webhooks."
    ),
}


def _operation(type_: str, summary: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "post": {
            "operationId": f"webhook_{type_.replace('.', '_')}",
            "summary": type_,
            "description": summary,
            "tags": ["Webhooks"],
            "parameters": [
                {
                    "in": "header",
                    "name": name,
                    "required": True,
                    "description": text,
                    "schema": {"type": "string"},
                }
                for name, text in SIGNATURE_HEADERS.items()
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _envelope_schema(type_, data)}},
            },
            "responses": {
                "2XX": {"description": "Received. Anything else is retried (see the README)."}
            },
        }
    }


def document_webhooks(spec: dict[str, Any]) -> dict[str, Any]:
    """Describe every event type under ``webhooks`` (OpenAPI 3.1)."""
    webhooks = {}
    for name, entry in TYPES.items():
        data = {
            "type": "object",
            "additionalProperties": False,
            "required": sorted(entry.fields),
            "properties": copy.deepcopy(entry.fields),
        }
        webhooks[name] = _operation(name, entry.description, data)
    webhooks[TEST_TYPE] = _operation(
        TEST_TYPE,
        "Sent by the endpoint page's “Send test event” button only.",
        {
            "type": "object",
            "required": ["endpoint_id"],
            "properties": {"endpoint_id": {"type": "integer"}},
        },
    )
    spec["webhooks"] = webhooks
    return spec
