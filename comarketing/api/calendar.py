"""The planning calendar as JSON: the month or week the calendar page shows, with the page's
filters (campaign, partner, channel, owner) read by the same code (``campaigns.schedule`` and
``campaigns.calendar_filters``), so the API lists exactly the campaigns, placements and
milestones the page shows, with the same clashes.

Where the page drops a filter it cannot use and shows everything for that field, the API
refuses the request (422 naming the field): a script asking for one campaign must not get
every campaign back under that label. A campaign or partner that is not yours is refused
exactly like one that does not exist."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import OneOf, Range, Regexp

from comarketing import dates_allowed
from comarketing.api import schemas
from comarketing.api.auth import auth, current_actor
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.errors import error_response
from comarketing.campaigns import calendar_filters, schedule
from comarketing.campaigns.clashes import Clash, Ref
from comarketing.campaigns.models import CampaignKind, Channel, MilestoneKind
from comarketing.dates_allowed import Date

FIELD_ORDER = ("week", "month", *calendar_filters.FIELDS)
# The page's messages say it shows everything instead; the API refuses, and says only why.
REFUSALS = {
    "campaign": "No such campaign of yours.",
    "partner": "No such partner of yours.",
    "channel": "No such channel.",
    "owner": "Choose mine or partners.",
}


class CalendarQuery(Schema):
    month = String(
        load_default=None,
        validate=Regexp(r"^[0-9]{4}-[0-9]{2}$"),
        metadata={
            "description": "YYYY-MM; neither month nor week: this month.",
            "example": "2030-03",
        },
    )
    week = Date(
        load_default=None, metadata={"description": "Any day of the week (Monday to Sunday)."}
    )
    campaign = schemas.QueryInteger(
        load_default=None,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "Only this campaign (one you take part in)."},
    )
    partner = schemas.QueryInteger(
        load_default=None,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "Only campaigns this partner company takes part in."},
    )
    channel = String(
        load_default=None,
        validate=OneOf([c.value for c in Channel]),
        metadata={
            "description": "Only campaigns with a placement on this channel in the period, and "
            "those placements."
        },
    )
    owner = String(
        load_default=None,
        validate=OneOf([value for value, _ in calendar_filters.OWNER_CHOICES]),
        metadata={
            "description": "mine: your company's placements and milestones; partners': theirs "
            "(joint campaigns only)."
        },
    )


class ClashRef(Schema):
    kind = String(required=True, validate=OneOf(["placement", "milestone"]))
    id = Integer(strict=True, required=True)
    name = String(required=True)
    campaign_id = Integer(strict=True, required=True)
    campaign_name = String(required=True)


class ClashOut(Schema):
    kind = String(
        required=True,
        validate=OneOf(["channel", "blocked"]),
        metadata={
            "description": "channel: two placements on one channel; blocked: a placement on a "
            "blackout day."
        },
    )
    channel = String(required=True)
    first = Nested(ClashRef, required=True, metadata={"description": "Always a placement."})
    second = Nested(ClashRef, required=True)
    start = Date(required=True, metadata={"description": "The days the two overlap."})
    end = Date(required=True)


class CalendarItem(Schema):
    kind = String(required=True, validate=OneOf(["campaign", "placement", "milestone"]))
    id = Integer(strict=True, required=True)
    title = String(required=True)
    start = Date(required=True)
    end = Date(required=True, metadata={"description": "A milestone's is its due day."})
    campaign_id = Integer(strict=True, required=True)
    campaign_name = String(required=True)
    campaign_kind = String(required=True, validate=OneOf([k.value for k in CampaignKind]))
    channel = String(required=True, allow_none=True, metadata={"description": "Placements."})
    owner = String(
        required=True, allow_none=True, metadata={"description": "The owning company's name."}
    )
    mine = Boolean(required=True, metadata={"description": "Owned by your company."})
    milestone_kind = String(
        required=True, allow_none=True, validate=OneOf([k.value for k in MilestoneKind])
    )
    done = Boolean(required=True, allow_none=True, metadata={"description": "Milestones."})
    clashes = List(
        Integer(strict=True),
        required=True,
        metadata={"description": "Indexes into `clashes` of the clashes this item is in."},
    )


class CalendarFiltersOut(Schema):
    campaign = Integer(strict=True, required=True, allow_none=True)
    partner = Integer(strict=True, required=True, allow_none=True)
    channel = String(required=True, allow_none=True)
    owner = String(required=True, allow_none=True)


class CalendarCounts(Schema):
    campaign = Integer(strict=True, required=True)
    placement = Integer(strict=True, required=True)
    milestone = Integer(strict=True, required=True)


class CalendarOut(Schema):
    mode = String(required=True, validate=OneOf([schedule.MONTH, schedule.WEEK]))
    anchor = Date(
        required=True, metadata={"description": "The month's first day or the week's Monday."}
    )
    first = Date(required=True, metadata={"description": "The first day shown (a Monday)."})
    last = Date(required=True, metadata={"description": "The last day shown (a Sunday)."})
    previous = Date(required=True, metadata={"description": "The previous month or week."})
    next = Date(required=True)
    today = Date(required=True, metadata={"description": "Today where you are."})
    filters = Nested(CalendarFiltersOut, required=True)
    counts = Nested(CalendarCounts, required=True)
    items = List(Nested(CalendarItem), required=True)
    clashes = List(Nested(ClashOut), required=True)


def _ref(ref: Ref) -> dict[str, Any]:
    return {
        "kind": ref.kind,
        "id": ref.id,
        "name": ref.name,
        "campaign_id": ref.campaign_id,
        "campaign_name": ref.campaign_name,
    }


def _clash(clash: Clash) -> dict[str, Any]:
    return {
        "kind": clash.kind,
        "channel": clash.channel,
        "first": _ref(clash.first),
        "second": _ref(clash.second),
        "start": clash.start,
        "end": clash.end,
    }


def _item(item: schedule.Item, index: dict[Clash, int]) -> dict[str, Any]:
    placement, milestone = item.kind == "placement", item.kind == "milestone"
    return {
        "kind": item.kind,
        "id": item.id,
        "title": item.title,
        "start": item.start,
        "end": item.end,
        "campaign_id": item.campaign_id,
        "campaign_name": item.campaign_name,
        "campaign_kind": item.campaign_kind,
        "channel": item.channel if placement else None,
        "owner": item.owner_name if placement or milestone else None,
        "mine": item.mine,
        "milestone_kind": item.milestone_kind if milestone else None,
        "done": item.done if milestone else None,
        "clashes": [index[c] for c in item.clashes if c in index],
    }


def _refusal(errors: dict[str, str]) -> Any:
    ordered = sorted(errors.items(), key=lambda kv: FIELD_ORDER.index(kv[0]))
    return error_response(
        422,
        field=ordered[0][0],
        errors=[
            {"location": "query", "field": name, "message": REFUSALS.get(name, text)}
            for name, text in ordered
        ],
    )


@bp.get("/calendar")
@bp.auth_required(auth)
@bp.input(CalendarQuery, location="query", arg_name="query")
@bp.output(CalendarOut)
@bp.doc(operation_id="getCalendar", responses=ERRORS)
def get_calendar(query: dict[str, Any]) -> Any:
    """Read the calendar

    The campaigns, placements and milestones of a month (`month`, default this month) or a
    week (`week`), from the campaigns your company takes part in, filtered as on the
    calendar page, with the clashes touching an item shown. Every item is listed (the page
    caps a month's rows; the API does not). A filter naming no campaign or partner of yours,
    or both `month` and `week`, answers 422 naming the field.
    """
    actor = current_actor()
    today = schedule.reader_today(actor.user)
    errors: dict[str, str] = {}
    if query["week"] is not None and query["month"] is not None:
        errors["week"] = "Give a month or a week, not both."
    mode, anchor = schedule.MONTH, today
    if query["week"] is not None:
        mode, anchor = schedule.WEEK, query["week"]
    elif query["month"] is not None:
        month = dates_allowed.parse_month(query["month"])
        if month is None:
            errors["month"] = f"Give the month as YYYY-MM. {dates_allowed.OUT_OF_RANGE}"
        anchor = month or today
    raw = {name: str(query[name]) for name in calendar_filters.FIELDS if query[name] is not None}
    view = schedule.build(actor, mode, anchor, raw, today, errors)
    if view.errors:
        return _refusal(view.errors)
    index = {clash: n for n, clash in enumerate(view.clashes)}
    filters = view.filters
    return {
        "mode": view.mode,
        "anchor": view.anchor,
        "first": view.first,
        "last": view.last,
        "previous": view.previous,
        "next": view.next,
        "today": view.today,
        "filters": {
            "campaign": filters.campaign_id,
            "partner": filters.partner_id,
            "channel": filters.channel,
            "owner": filters.owner,
        },
        "counts": {
            kind: view.counts.get(kind, 0) for kind in ("campaign", "placement", "milestone")
        },
        "items": [_item(item, index) for item in view.items],
        "clashes": [_clash(c) for c in view.clashes],
    }
