"""Daily metrics over the API: read a placement's days, upsert a batch of them.

The same service as the grid and the file import writes them (``metrics.entry``): all or
nothing, owners only, every party reads. Amounts are decimal strings in the campaign's
currency ("1234.50"); a JSON number for money is refused, so a float never becomes money.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Date, Integer, List, Nested, String
from apiflask.validators import Length, Range, Regexp

from comarketing import hundredths
from comarketing.api import schemas
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.errors import error_response
from comarketing.api.idempotency import idempotent
from comarketing.metrics import entry, placements
from comarketing.metrics.models import ImportSource

MAX_COUNT = 10**15
COUNTS = ("impressions", "reach", "clicks", "leads")
AMOUNT = r"^[0-9]{1,15}(\.[0-9]{1,3})?$"


class DaysQuery(Schema):
    start = Date(load_default=None, metadata={"description": "First day (default: all)."})
    end = Date(load_default=None, metadata={"description": "Last day (default: all)."})


def _count(description: str) -> Integer:
    return Integer(
        strict=True,
        load_default=0,
        validate=Range(min=0, max=MAX_COUNT),
        metadata={"description": description},
    )


def _amount(description: str) -> String:
    return String(
        load_default="0",
        validate=Regexp(AMOUNT, error='Give an exact amount as text, like "1234.50".'),
        metadata={"description": description, "example": "1234.50"},
    )


class DayIn(Schema):
    day = Date(required=True, metadata={"description": "Inside the placement's dates."})
    impressions = _count("Impressions that day")
    reach = _count("People reached that day (at most the impressions)")
    clicks = _count("Clicks")
    leads = _count("Leads")
    conversions = _count("Conversions")
    revenue = _amount("Revenue, exact, in the campaign's currency")
    cost = _amount("Cost, exact, in the campaign's currency")


class DaysIn(Schema):
    days = List(
        Nested(DayIn),
        required=True,
        validate=Length(min=1, max=entry.MAX_BATCH),
        metadata={"description": f"1 to {entry.MAX_BATCH} days; each day at most once."},
    )
    post_costs = Boolean(
        load_default=False,
        metadata={
            "description": "Also post each day's cost to the budget ledger as an expense paid "
            "by the placement's owner (a day sent again corrects it, never doubles it)."
        },
    )


class DayOut(Schema):
    day = Date(required=True)
    impressions = Integer(strict=True, required=True, allow_none=True)
    reach = Integer(strict=True, required=True, allow_none=True)
    clicks = Integer(strict=True, required=True, allow_none=True)
    leads = Integer(strict=True, required=True, allow_none=True)
    conversions = String(
        required=True,
        allow_none=True,
        metadata={"description": "Exact to two decimals, as text", "example": "2.47"},
    )
    revenue = Nested(schemas.Money, required=True, allow_none=True)
    cost = Nested(schemas.Money, required=True, allow_none=True)


class DaysOut(Schema):
    placement_id = Integer(strict=True, required=True)
    currency = String(required=True)
    items = List(Nested(DayOut), required=True)


class UpsertResult(Schema):
    import_id = Integer(strict=True, required=True, metadata={"description": "In the history."})
    written = Integer(strict=True, required=True, metadata={"description": "New or changed days"})
    replaced = Integer(strict=True, required=True)
    unchanged = Integer(strict=True, required=True)


@bp.get("/placements/<int:placement_id>/metrics")
@bp.auth_required(auth)
@bp.input(schemas.PlacementPath, location="path", arg_name="path")
@bp.input(DaysQuery, location="query", arg_name="query")
@bp.output(DaysOut)
@bp.doc(operation_id="listPlacementMetrics", responses=ERRORS)
def list_metrics(placement_id: int, path: dict[str, int], query: dict[str, date]) -> Any:
    """Read a placement's daily metrics

    Every party of the placement's campaign may read them.
    """
    actor = current_actor()
    view = placements.get_placement(actor, placement_id)
    days = placements.placement_days(actor, placement_id, query.get("start"), query.get("end"))
    currency = view.campaign.currency
    return {
        "placement_id": placement_id,
        "currency": currency,
        "items": [
            {
                "day": d.day,
                **{name: getattr(d, name) for name in COUNTS},
                "conversions": hundredths.to_text(d.conversions_hundredths) or None,
                "revenue": schemas.money(d.revenue_minor, currency),
                "cost": schemas.money(d.cost_minor, currency),
            }
            for d in days
        ],
    }


@bp.post("/placements/<int:placement_id>/metrics")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(schemas.PlacementPath, location="path", arg_name="path")
@bp.input(DaysIn, location="json", arg_name="body")
@bp.output(UpsertResult)
@bp.doc(operation_id="upsertPlacementMetrics", responses=ERRORS)
def upsert_metrics(placement_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Upsert a batch of daily metrics

    Each day given replaces that day's figures (the old ones stay in the import history).
    All or nothing: one bad day stores none, and the answer lists every bad field as
    `days.<index>.<field>`. Only the placement's owning company writes (write token, partner
    manager or admin). Send an `Idempotency-Key` header to make a retry safe.
    """
    days = [{**item, "day": item["day"].isoformat()} for item in body["days"]]
    try:
        result = entry.upsert_days(
            current_actor(),
            placement_id,
            days,
            source=ImportSource.API,
            post_costs=body["post_costs"],
            strict=True,
        )
    except entry.RowsInvalid as exc:
        errors = [
            {
                "location": "json",
                "field": f"days.{item['row']}.{item['column']}",
                "message": f"{item['value']} {item['reason']}".strip(),
            }
            for item in exc.errors
        ]
        return error_response(422, exc.message, field=errors[0]["field"], errors=errors)
    return {
        "import_id": result.id,
        "written": result.rows_written,
        "replaced": result.rows_replaced,
        "unchanged": result.rows_unchanged,
    }
