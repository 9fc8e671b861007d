"""Daily metrics over the API: read a placement's days, upsert (POST) or patch (PATCH) a batch.

The same service as the grid and the file import writes them (``metrics.entry``): all or
nothing, owners only, every party reads. Amounts are decimal strings in the campaign's
currency ("1234.50"); a JSON number for money is refused, so a float never becomes money.
A figure is a number or ``null`` (not reported, which is not zero); conversions take up to
two decimals (2.47 attributed conversions) and are answered as text ("2.47"). POST needs every
figure of every day; PATCH keeps the stored value of a figure it does not name.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import Length, Range, Regexp
from marshmallow import ValidationError
from marshmallow import fields as ma_fields

from comarketing import hundredths
from comarketing.api import plain_json, schemas
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.errors import _flatten, error_response
from comarketing.api.idempotency import idempotent
from comarketing.dates_allowed import Date
from comarketing.metrics import entry, placements
from comarketing.metrics.models import ImportSource

MAX_COUNT = 10**15
MAX_CONVERSIONS = 10**13  # stored as hundredths: below MAX_COUNT
AMOUNT = r"^[0-9]{1,15}(\.[0-9]{1,3})?$"


class DaysQuery(Schema):
    start = Date(load_default=None, metadata={"description": "First day (default: all)."})
    end = Date(load_default=None, metadata={"description": "Last day (default: all)."})


NOT_REPORTED = " `null`: not reported (not zero)."
OMITTED = "Required: a number, or null for not reported."


def _count(description: str, required: bool) -> Integer:
    return Integer(
        strict=True,
        required=required,
        allow_none=True,
        validate=Range(min=0, max=MAX_COUNT),
        metadata={"description": description + NOT_REPORTED},
        error_messages={"required": OMITTED},
    )


def _amount(description: str, required: bool) -> String:
    return String(
        required=required,
        allow_none=True,
        validate=Regexp(AMOUNT, error='Give an exact amount as text, like "1234.50".'),
        metadata={"description": description + NOT_REPORTED, "example": "1234.50"},
        error_messages={"required": 'Required: an exact amount as text ("1234.50"), or null.'},
    )


def _conversions(required: bool) -> ma_fields.Decimal:
    return ma_fields.Decimal(
        required=required,
        allow_none=True,
        allow_nan=False,
        validate=_conversions_value,
        metadata={
            "description": "Conversions, up to two decimals (attribution models)." + NOT_REPORTED,
            "example": 2.47,
            # Written out: apispec would render a Decimal range as text.
            "minimum": 0,
            "maximum": MAX_CONVERSIONS,
        },
        error_messages={"required": OMITTED},
    )


def _conversions_value(value: Decimal) -> None:
    if not 0 <= value <= MAX_CONVERSIONS:
        raise ValidationError(f"Must be greater than or equal to 0 and at most {MAX_CONVERSIONS}.")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValidationError(f"{value} has more than two decimals (conversions are kept to 0.01).")


class DayIn(Schema):
    """A day as POST takes it: every figure named, as a number (text for money) or null."""

    day = Date(required=True, metadata={"description": "Inside the placement's dates."})
    impressions = _count("Impressions that day.", True)
    reach = _count("People reached that day (at most the impressions).", True)
    clicks = _count("Clicks.", True)
    leads = _count("Leads.", True)
    conversions = _conversions(True)
    revenue = _amount("Revenue, exact, in the campaign's currency.", True)
    cost = _amount("Cost, exact, in the campaign's currency.", True)


class DayPatch(Schema):
    """A day as PATCH takes it: a figure left out keeps its stored value (not reported on a
    day not stored yet); null makes it not reported."""

    day = Date(required=True, metadata={"description": "Inside the placement's dates."})
    impressions = _count("Impressions that day.", False)
    reach = _count("People reached that day (at most the impressions).", False)
    clicks = _count("Clicks.", False)
    leads = _count("Leads.", False)
    conversions = _conversions(False)
    revenue = _amount("Revenue, exact, in the campaign's currency.", False)
    cost = _amount("Cost, exact, in the campaign's currency.", False)


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


class DaysPatch(DaysIn):
    days = List(
        Nested(DayPatch),
        required=True,
        validate=Length(min=1, max=entry.MAX_BATCH),
        metadata={"description": f"1 to {entry.MAX_BATCH} days; each day at most once."},
    )


class DayOut(Schema):
    day = Date(required=True)
    impressions = Integer(strict=True, required=True, allow_none=True)
    reach = Integer(strict=True, required=True, allow_none=True)
    clicks = Integer(strict=True, required=True, allow_none=True)
    leads = Integer(strict=True, required=True, allow_none=True)
    conversions = schemas.conversions_out()
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
    start, end = query.get("start"), query.get("end")
    view = placements.get_placement(actor, placement_id)  # 404 for another company's

    def build() -> dict[str, Any]:
        days = placements.day_rows(view, start, end)
        # Built as DaysOut's dump would be (tests/api/test_api_metrics.py compares the two):
        # the schema's field-by-field dump of every day cost more than the rest of the request.
        return days_out(placement_id, view.campaign.currency, days)

    # The days (and the campaign's currency) raise the parties' data version when they change.
    return plain_json.kept_answer(
        actor.organization_id, "placement-days", (placement_id, start, end), build
    )


def days_out(placement_id: int, currency: str, days: Iterable[Any]) -> dict[str, Any]:
    """A placement's days as the API answers them (``DaysOut``), JSON-ready."""
    money = schemas.money
    return {
        "placement_id": placement_id,
        "currency": currency,
        "items": [
            {
                "day": d.day.isoformat(),
                "impressions": d.impressions,
                "reach": d.reach,
                "clicks": d.clicks,
                "leads": d.leads,
                "conversions": hundredths.to_text(d.conversions_hundredths) or None,
                "revenue": money(d.revenue_minor, currency),
                "cost": money(d.cost_minor, currency),
            }
            for d in days
        ],
    }


@bp.post("/placements/<int:placement_id>/metrics")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(schemas.PlacementPath, location="path", arg_name="path")
# Checked here rather than by APIFlask: schema errors and row errors come back together.
@bp.input(DaysIn, location="json", arg_name="body", validation=False)
@bp.output(UpsertResult)
@bp.doc(operation_id="upsertPlacementMetrics", responses=ERRORS)
def upsert_metrics(placement_id: int, path: dict[str, int], body: Any) -> Any:
    """Upsert a batch of daily metrics

    Each day given replaces that day's figures (the old ones stay in the import history) and
    must name every figure: a number, or `null` for not reported (a figure left out is a 422
    naming `days.<index>.<field>`). All or nothing: one bad day stores none, and the answer
    lists every error of the request at once as `days.<index>.<field>`. Only the placement's
    owning company writes (write token, partner manager or admin). Send an `Idempotency-Key`
    header to make a retry safe.
    """
    return _write(placement_id, body, DayIn(), keep_omitted=False)


@bp.patch("/placements/<int:placement_id>/metrics")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(schemas.PlacementPath, location="path", arg_name="path")
@bp.input(DaysPatch, location="json", arg_name="body", validation=False)
@bp.output(UpsertResult)
@bp.doc(operation_id="patchPlacementMetrics", responses=ERRORS)
def patch_metrics(placement_id: int, path: dict[str, int], body: Any) -> Any:
    """Patch a batch of daily metrics

    The same shape as the upsert, but a figure left out keeps its stored value (on a day not
    stored yet: not reported); `null` makes a figure not reported. All or nothing, every error
    at once as `days.<index>.<field>`; owners only; `Idempotency-Key` honoured.
    """
    return _write(placement_id, body, DayPatch(), keep_omitted=True)


def _write(placement_id: int, body: Any, day_schema: Schema, *, keep_omitted: bool) -> Any:
    actor = current_actor()
    loaded, post_costs, errors = _load(body, day_schema)
    indices = sorted(loaded)
    days = [_as_entry(loaded[i]) for i in indices]
    if errors:  # owners only (403/404 first), then the row errors of the days that loaded
        for item in entry.check_days(actor, placement_id, days, indices, strict=True):
            errors.append(_row_error(item))
    if errors:
        errors.sort(key=_error_order)
        return error_response(422, _summary(errors), field=errors[0]["field"], errors=errors)
    try:
        result = entry.upsert_days(
            actor,
            placement_id,
            days,
            source=ImportSource.API,
            post_costs=post_costs,
            strict=True,
            keep_omitted=keep_omitted,
        )
    except entry.RowsInvalid as exc:
        errors = [_row_error(item) for item in exc.errors]
        return error_response(422, _summary(errors), field=errors[0]["field"], errors=errors)
    return {
        "import_id": result.id,
        "written": result.rows_written,
        "replaced": result.rows_replaced,
        "unchanged": result.rows_unchanged,
    }


def _load(
    body: Any, day_schema: Schema
) -> tuple[dict[int, dict[str, Any]], bool, list[dict[str, Any]]]:
    """The body checked day by day: the days that loaded without error (by index), the
    post_costs flag and every schema error (flat, ``days.<index>.<field>``)."""
    errors: list[dict[str, Any]] = []
    if not isinstance(body, dict):
        message = "Send a JSON object with days."
        return {}, False, [{"location": "json", "field": None, "message": message}]
    post_costs = body.get("post_costs", False)
    if not isinstance(post_costs, bool):
        errors.append({"location": "json", "field": "post_costs", "message": "Not a boolean."})
        post_costs = False
    raw_days = body.get("days")
    if not isinstance(raw_days, list) or not 1 <= len(raw_days) <= entry.MAX_BATCH:
        message = f"Give a list of 1 to {entry.MAX_BATCH} days."
        errors.append({"location": "json", "field": "days", "message": message})
        return {}, post_costs, errors
    days: dict[int, dict[str, Any]] = {}
    for index, raw in enumerate(raw_days):
        try:
            days[index] = day_schema.load(raw)
        except ValidationError as exc:
            errors.extend(_flatten(exc.messages, "json", f"days.{index}"))
    return days, post_costs, errors


def _day_index(field: str | None) -> int | None:
    parts = (field or "").split(".")
    return int(parts[1]) if len(parts) > 1 and parts[0] == "days" and parts[1].isdigit() else None


def _as_entry(day: dict[str, Any]) -> dict[str, Any]:
    """A loaded day as the entry service takes it: ISO day, figures as text, None kept."""
    out: dict[str, Any] = {"day": day["day"].isoformat()}
    for name, value in day.items():
        if name == "day":
            continue
        out[name] = f"{value:f}" if isinstance(value, Decimal) else value
    return out


def _row_error(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "location": "json",
        "field": f"days.{item['row']}.{item['column']}",
        "message": f"{item['value']} {item['reason']}".strip(),
    }


def _error_order(error: dict[str, Any]) -> tuple[int, str]:
    index = _day_index(error["field"])
    return (-1 if index is None else index, str(error["field"]))


def _summary(errors: list[dict[str, Any]]) -> str:
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} {noun} in the request; nothing was stored."
