"""Audiences over the API: upload a placement's audience (identifiers in a JSON body, or a
file), and the dashboard's deduplicated-reach figures. The same services as the pages."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, File, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf

from comarketing.api import schemas
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.errors import error_response
from comarketing.api.idempotency import idempotent
from comarketing.audiences import services
from comarketing.audiences.normalize import Kind
from comarketing.audiences.sketches import Estimate
from comarketing.reports import services as reports
from comarketing.reports.dedup import dashboard_figures
from comarketing.timezones import company_today

KINDS = [k.value for k in Kind]


class AudienceIn(Schema):
    kind = String(load_default="email", validate=OneOf(KINDS))
    identifiers = List(
        String(validate=Length(max=500)),
        required=True,
        validate=Length(min=1, max=services.MAX_API_IDENTIFIERS),
        metadata={"description": "Emails, E.164 phone numbers or SHA-256 hex digests."},
    )
    skip_bad_lines = Boolean(load_default=False)


class AudienceFileIn(Schema):
    file = File(required=True, metadata={"description": "One identifier per line, or a CSV."})
    kind = String(load_default="email", validate=OneOf(KINDS))
    column = String(load_default=None, validate=Length(max=100))
    skip_bad_lines = Boolean(load_default=False)


class EstimateOut(Schema):
    value = Integer(strict=True, required=True)
    lower = Integer(strict=True, required=True)
    upper = Integer(strict=True, required=True)
    exact = Boolean(required=True)
    display = String(required=True, metadata={"example": "1.24 M ± 1.6 %"})


class FigureOut(Schema):
    """A deduplicated figure. One resting on a partner's audience is either suppressed (only
    ``suppressed`` and ``below``: it rests on fewer people than the minimum audience count) or
    ``rounded`` (two significant figures, with deterministic noise; bounds one step wide)."""

    value = Integer(strict=True)
    lower = Integer(strict=True)
    upper = Integer(strict=True)
    exact = Boolean()
    rounded = Boolean()
    display = String(metadata={"example": "≈ 1,200 (rounded)"})
    suppressed = Boolean(metadata={"description": "Present (true) only when suppressed."})
    below = Integer(
        strict=True, metadata={"description": "The minimum audience count it fell under."}
    )


class AudienceOut(Schema):
    import_id = Integer(strict=True, required=True)
    identifiers = Integer(strict=True, required=True)
    bad_lines = Integer(strict=True, required=True)
    distinct = Nested(EstimateOut, required=True)
    file_sha256 = String(required=True)


def _estimate(value: Estimate) -> dict[str, Any]:
    return {
        "value": value.count,
        "lower": round(value.lower),
        "upper": round(value.upper),
        "exact": value.exact,
        "display": str(value),
    }


def _figure(value: Estimate) -> dict[str, Any]:
    if value.suppressed:
        return {"suppressed": True, "below": value.below}
    return {**_estimate(value), "rounded": value.rounded}


def _answer(row: Any) -> dict[str, Any]:
    from comarketing.audiences import sketches

    estimate = sketches.estimate(sketches.deserialize(row.sketch)) if row.sketch else sketches.ZERO
    return {
        "import_id": row.id,
        "identifiers": row.identifiers,
        "bad_lines": row.bad_lines,
        "distinct": _estimate(estimate),
        "file_sha256": row.file_sha256,
    }


def _rejected(exc: services.AudienceRejected) -> Any:
    errors = [
        {"location": "json", "field": f"row.{e['row']}", "message": e["reason"]} for e in exc.errors
    ]
    return error_response(422, exc.message, field="identifiers", errors=errors)


@bp.post("/placements/<int:placement_id>/audience")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(schemas.PlacementPath, location="path", arg_name="path")
@bp.input(AudienceIn, location="json", arg_name="body")
@bp.output(AudienceOut)
@bp.doc(operation_id="uploadAudience", responses=ERRORS)
def upload_audience(placement_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Upload a placement's audience (identifiers in the body)

    Replaces the placement's audience sketch (the previous one stays in the history). The
    identifiers are normalised and hashed with SHA-256 on arrival; only a Theta sketch is
    kept. All or nothing: a bad identifier stores nothing (its position is `row.<n>`, 1-based)
    unless `skip_bad_lines`. Only the placement's owning company (partner managers, admins).
    """
    options = services.Options(kind=Kind(body["kind"]), skip_bad_lines=body["skip_bad_lines"])
    try:
        row = services.upload_identifiers(
            current_actor(), placement_id, body["identifiers"], options
        )
    except services.AudienceRejected as exc:
        return _rejected(exc)
    return _answer(row)


@bp.post("/placements/<int:placement_id>/audience/file")
@bp.auth_required(auth)
@require_write
@bp.input(schemas.PlacementPath, location="path", arg_name="path")
@bp.input(AudienceFileIn, location="form_and_files", arg_name="form")
@bp.output(AudienceOut)
@bp.doc(operation_id="uploadAudienceFile", responses=ERRORS)
def upload_audience_file(placement_id: int, path: dict[str, int], form: dict[str, Any]) -> Any:
    """Upload a placement's audience (a file)

    The same as the JSON upload, for a file of any size up to the configured limit (1 GB by
    default), streamed: one identifier per line, or a CSV file with a header row and the
    `column` to read.
    """
    options = services.Options(
        kind=Kind(form["kind"]), column=form.get("column"), skip_bad_lines=form["skip_bad_lines"]
    )
    upload = form["file"]
    try:
        row = services.upload_for_placement(
            current_actor(), placement_id, upload.stream, upload.filename, options, source="api"
        )
    except services.AudienceRejected as exc:
        return _rejected(exc)
    return _answer(row)


class MultiplierOut(Schema):
    currency = String(required=True)
    joint_reach = Nested(FigureOut, required=True)
    solo_reach = Nested(FigureOut, required=True)
    multiplier = String(allow_none=True, required=True)


class OverlapOut(Schema):
    partner_id = Integer(strict=True, required=True)
    partner = String(required=True)
    both = Nested(FigureOut, required=True)
    share_of_own = Float(allow_none=True, required=True)
    share_of_partner = Float(allow_none=True, required=True)


class UnsketchedOut(Schema):
    campaign_id = Integer(strict=True, required=True)
    name = String(required=True)
    method = String(required=True, metadata={"description": "sainsbury or reported"})
    reach = Integer(
        strict=True,
        required=True,
        metadata={
            "description": "An estimate combined from the placements' figures that ``basis`` "
            "names (a planned audience size is a plan, not reach; reported reach is daily "
            "reach, summed): not a count of people."
        },
    )
    basis = String(
        required=True,
        metadata={
            "description": "What the figure rests on: planned audience size, reported reach "
            "(daily reach, summed), or both",
        },
    )
    label = String(required=True)


class DedupOut(Schema):
    joint = Nested(FigureOut, required=True)
    solo = Nested(FigureOut, required=True)
    incremental = Nested(FigureOut, required=True)
    existing = Nested(FigureOut, required=True)
    minimum = Integer(
        strict=True,
        required=True,
        metadata={"description": "The minimum audience count in play (the strictest party's)."},
    )
    multipliers = List(Nested(MultiplierOut), required=True)
    overlaps = List(Nested(OverlapOut), required=True)
    without_audience_data = List(Nested(UnsketchedOut), required=True)


@bp.get("/reports/dedup")
@bp.auth_required(auth)
@bp.input(schemas.DashboardQuery, location="query", arg_name="query")
@bp.output(DedupOut)
@bp.doc(operation_id="getDeduplicatedReach", responses=ERRORS)
def dedup(query: dict[str, Any]) -> dict[str, Any]:
    """Deduplicated reach

    The dashboard's "Deduplicated reach" figures for the same period and filters: joint and
    solo reach counting each person once, the incremental reach of joint campaigns, overlap
    with each partner, the reach multiplier on deduplicated reach, and a random-duplication
    estimate for campaigns without audience data. Each estimate has its 95 % bounds.

    A figure resting on a partner's audience is shown only when every count behind it reaches
    the minimum audience count (the highest of the companies' settings), rounded to two
    significant figures with deterministic noise; else `{"suppressed": true, "below": 100}`,
    and the shares that would give it back are null.
    """
    today = company_today(current_actor().user.organization)
    period = reports.period_for(query["preset"], query["start"], query["end"], today=today)
    filters = reports.Filters(
        partner_id=query["partner"], channel=query["channel"], campaign_id=query["campaign"]
    )
    actor = current_actor()
    board = reports.dashboard(actor, period, filters)
    result = dashboard_figures(actor, board)
    return {
        "joint": _figure(result.joint),
        "solo": _figure(result.solo),
        "incremental": _figure(result.incremental),
        "existing": _figure(result.existing),
        "minimum": result.minimum,
        "multipliers": [
            {
                "currency": m.currency,
                "joint_reach": _figure(m.joint_reach),
                "solo_reach": _figure(m.solo_reach),
                "multiplier": schemas.ratio(m.value),
            }
            for m in result.multipliers
        ],
        "overlaps": [
            {
                "partner_id": o.partner_id,
                "partner": o.partner,
                "both": _figure(o.both),
                "share_of_own": o.share_of_own,
                "share_of_partner": o.share_of_theirs,
            }
            for o in result.overlaps
        ],
        "without_audience_data": [
            {
                "campaign_id": u.campaign_id,
                "name": u.name,
                "method": u.estimate.method,
                "reach": u.estimate.reach,
                "basis": u.estimate.basis,
                "label": u.estimate.label,
            }
            for u in result.unsketched
        ],
    }
