"""The ROI dashboard's figures over the API: the same service and tables as the page.

Money keeps the API's one shape; ratios (frequency, CPM, ROI, the reach multipliers ...) are
decimal strings rounded half up to 4 places, or null where the denominator is zero.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Dict, Integer, List, Nested, String

from comarketing import hundredths
from comarketing.api import schemas
from comarketing.api.auth import auth, current_actor
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.multipliers import MultipliersOut, RoiComparisonOut, multiplier_fields
from comarketing.dates_allowed import Date
from comarketing.reports import coverage, frames, headline, people, services, tables
from comarketing.reports.exports import Table
from comarketing.timezones import company_today

RATIO = String(allow_none=True, required=True, metadata={"example": "2.4000"})


class CoverageOut(Schema):
    parts = List(String(), required=True, metadata={"example": ["spend", "reach"]})
    share = String(
        allow_none=True,
        required=True,
        metadata={
            "description": "The lower of the two shares (0-1, 4 places); null when neither "
            "part has any amount.",
            "example": "0.6200",
        },
    )
    shares = Dict(
        keys=String(),
        values=String(allow_none=True),
        required=True,
        metadata={
            "description": "Per part: the share of its reported total lying in the "
            "placement-months that reported the other part too."
        },
    )
    text = String(
        allow_none=True, required=True, metadata={"example": "reach reported for 62 % of spend"}
    )
    below_half = Boolean(required=True)
    notice = String(
        allow_none=True,
        required=True,
        metadata={
            "description": "Set when under half of either part is covered.",
            "example": "based on under half of spend: reach reported for 38 %",
        },
    )


def _count(description: str) -> Integer:
    return Integer(
        strict=True, required=True, allow_none=True, metadata={"description": description}
    )


NOT_REPORTED = "Sum of the reported values; null: no placement reported it (not 0)."
DAILY_SUMMED = (
    f"{people.DAILY_LABEL}: each day's reach added up, not a count of people. " + NOT_REPORTED
)


class PeopleKindsOut(Schema):
    flight = String(allow_none=True, required=True, metadata={"example": "0.4000"})
    daily_summed = String(allow_none=True, required=True, metadata={"example": "0.5500"})
    not_reported = String(allow_none=True, required=True, metadata={"example": "0.0500"})


class PeopleReachedOut(Schema):
    value = Integer(
        strict=True,
        required=True,
        allow_none=True,
        metadata={
            "description": "Per placement: the platform's flight reach where the period covers "
            "the whole flight, else its daily reach summed; added up. Null: no reach reported."
        },
    )
    label = String(
        required=True,
        metadata={
            "description": f"“{people.FLIGHT_LABEL}” when every part is flight reach; else "
            f"“{people.DAILY_LABEL}”.",
        },
    )
    kinds = Nested(
        PeopleKindsOut,
        required=True,
        metadata={
            "description": "Shares of own spend (0-1, 4 places; null without own spend) whose "
            "placements count flight reach, daily reach summed, or report no reach."
        },
    )
    text = String(
        allow_none=True,
        required=True,
        metadata={"example": "flight reach for 40 % of spend, daily reach summed for 55 %"},
    )


class FiguresOut(Schema):
    campaigns = Integer(strict=True, required=True)
    spend = Nested(
        schemas.Money,
        required=True,
        metadata={"description": "Own share of confirmed + pending claims, by service period"},
    )
    reported_cost = Nested(
        schemas.Money,
        required=True,
        allow_none=True,
        metadata={"description": "Own share of the platform-reported cost (results)"},
    )
    reported_cost_minus_spend = Nested(
        schemas.Money,
        required=True,
        allow_none=True,
        metadata={"description": "Over the placement-months that reported a cost."},
    )
    impressions = _count(NOT_REPORTED)
    reach = _count(DAILY_SUMMED)
    people_reached = Nested(PeopleReachedOut, required=True)
    frequency = String(
        allow_none=True,
        required=True,
        metadata={"description": "Impressions per daily reach, summed (not per person)."},
    )
    clicks = _count(NOT_REPORTED)
    leads = _count(NOT_REPORTED)
    conversions = String(
        allow_none=True,
        required=True,
        metadata={"description": "Two decimals (attribution models report fractions)."},
    )
    revenue = Nested(schemas.Money, required=True, allow_none=True)
    cpm = String(allow_none=True, required=True, metadata={"description": "Per 1,000 impressions"})
    cost_per_thousand_reached = String(
        allow_none=True, required=True, metadata={"description": "Per 1,000 of daily reach, summed"}
    )
    cpl = String(allow_none=True, required=True)
    conversion_rate = String(allow_none=True, required=True)
    roi = String(allow_none=True, required=True)
    placements = Integer(strict=True, required=True)
    not_reported = Dict(
        keys=String(),
        values=Integer(),
        required=True,
        metadata={
            "description": "Per figure: the placements that did not report it on all their "
            "days with results in the period (of ``placements``)."
        },
    )
    coverage = Dict(
        keys=String(),
        values=Nested(CoverageOut),
        required=True,
        metadata={
            "description": "Per ratio (frequency, cpm, cost_per_thousand_reached, cpl, "
            "conversion_rate, roi, reported_cost_minus_spend): only the placement-months "
            "that reported both its parts count, and this says how much that is."
        },
    )


class CurrencyOut(Schema):
    currency = String(required=True)
    joint = Nested(FiguresOut, required=True)
    solo = Nested(FiguresOut, required=True)
    multipliers = Nested(MultipliersOut, required=True)
    roi_comparison = Nested(
        RoiComparisonOut,
        required=True,
        metadata={"description": "Joint ROI minus solo ROI (value), with both ROIs."},
    )
    reach_multiplier = String(
        allow_none=True,
        required=True,
        metadata={"description": "`multipliers.on_your_spend.value`, kept for compatibility."},
    )
    reading = String(required=True)
    missing = List(String(), required=True)
    notices = List(
        String(),
        required=True,
        metadata={"description": "Headline ratios based on under half of one of their parts."},
    )


class PeriodOut(Schema):
    start = Date(required=True)
    end = Date(required=True)


BREAKDOWN_REACH = (
    f"Rows of the table; `reach` is the {people.DAILY_LABEL.lower()}, never people reached."
)


class DashboardOut(Schema):
    period = Nested(PeriodOut, required=True)
    currencies = List(Nested(CurrencyOut), required=True)
    by_channel = List(Dict(), required=True, metadata={"description": BREAKDOWN_REACH})
    by_partner = List(Dict(), required=True, metadata={"description": BREAKDOWN_REACH})
    by_month = List(Dict(), required=True, metadata={"description": BREAKDOWN_REACH})
    sums_notes = Dict(
        keys=String(),
        values=String(allow_none=True),
        required=True,
        metadata={
            "description": "Per breakdown (by_channel, by_partner, by_month): null when its "
            "rows' sums add up exactly to the headline per currency and kind; else why not. "
            "Ratios never add up.",
            "example": {"by_channel": None, "by_partner": tables.BY_PARTNER_SUMS},
        },
    )


API_RATIO_NAMES = {
    "frequency": "frequency",
    "cpm_minor": "cpm",
    "cost_per_thousand_reached_minor": "cost_per_thousand_reached",
    "cpl_minor": "cpl",
    "conversion_rate": "conversion_rate",
    "roi": "roi",
    "cost_difference_minor": "reported_cost_minus_spend",
}


def coverage_out(cover: coverage.Coverage) -> dict[str, Any]:
    out = cover.as_dict()
    out["share"] = schemas.ratio(cover.share)
    out["shares"] = {part: schemas.ratio(share) for part, share in out["shares"].items()}
    return out


def people_out(figure: people.PeopleReached) -> dict[str, Any]:
    out = figure.as_dict()
    out["kinds"] = {kind: schemas.ratio(share) for kind, share in out["kinds"].items()}
    return out


def conversions(value: int | None) -> str | None:
    """Hundredths as a decimal string with two places ("2.47", "5.00"); null: not reported."""
    return None if value is None else hundredths.to_text(value)


def _figures(figures: frames.Figures, currency: str) -> dict[str, Any]:
    return {
        "campaigns": figures.campaigns,
        "spend": schemas.money(figures.spend_minor, currency),
        "reported_cost": schemas.money(figures.reported_cost_minor, currency),
        "reported_cost_minus_spend": schemas.money(figures.cost_difference_minor, currency),
        "impressions": figures.impressions,
        "reach": figures.reach,
        "people_reached": people_out(figures.people or people.NONE_REACHED),
        "frequency": schemas.ratio(figures.frequency),
        "clicks": figures.clicks,
        "leads": figures.leads,
        "conversions": conversions(figures.conversions_hundredths),
        "revenue": schemas.money(figures.revenue_minor, currency),
        "cpm": schemas.money_ratio(figures.cpm_minor, currency),
        "cost_per_thousand_reached": schemas.money_ratio(
            figures.cost_per_thousand_reached_minor, currency
        ),
        "cpl": schemas.money_ratio(figures.cpl_minor, currency),
        "conversion_rate": schemas.ratio(figures.conversion_rate),
        "roi": schemas.ratio(figures.roi),
        "placements": figures.placements,
        "not_reported": {
            tables.PART_COLUMNS[part]: count for part, count in figures.missing.items()
        },
        "coverage": {
            API_RATIO_NAMES[name]: coverage_out(cover) for name, cover in figures.coverage.items()
        },
    }


def _rows(table: Table) -> list[dict[str, Any]]:
    """A breakdown table's rows with money in the API's shape and ratios as strings."""
    out = []
    for row in table.rows:
        currency = str(row.get("currency") or "EUR")
        item: dict[str, Any] = {}
        for column in table.columns:
            value = row.get(column.key)
            if isinstance(value, str) and column.kind != "text":
                value = None  # not reported: null, never 0
            if column.kind == "hundredths":  # conversions: "2.47"
                item["conversions"] = conversions(None if value is None else int(value))
            elif column.kind == "money":
                item[column.key.removesuffix("_minor")] = (
                    schemas.money_ratio(value, currency)
                    if isinstance(value, Fraction)
                    else schemas.money(None if value is None else int(value), currency)
                )
            elif column.kind in ("ratio", "percent"):
                item[column.key] = schemas.ratio(value)
            elif column.kind == "int":
                item[column.key] = None if value is None else int(value)
            else:
                item[column.key] = None if value is None else str(value)
        out.append(item)
    return out


@bp.get("/reports/dashboard")
@bp.auth_required(auth)
@bp.input(schemas.DashboardQuery, location="query", arg_name="query")
@bp.output(DashboardOut)
@bp.doc(operation_id="getDashboard", responses=ERRORS)
def dashboard(query: dict[str, Any]) -> dict[str, Any]:
    """The ROI dashboard: joint vs solo

    The same figures as the Reach & ROI page, per currency (never summed across currencies):
    the company's own spend (its share of joint spend) and revenue (its revenue share), the
    campaigns' impressions, daily reach summed (`reach`: a person counts once per day), clicks,
    leads and conversions, the ratios and the reach multiplier, with the by-channel, by-partner
    and by-month tables. Default period: the last 12 months.

    `people_reached` is people only where its `label` says so: per placement the platform's
    flight reach when the period covers the whole flight, else daily reach summed; `kinds`
    gives the shares of own spend resting on each.

    Two reach multipliers, always together (`multipliers`): `on_your_spend` = (people reached
    per unit of your own spend, joint) / (the same, solo) — what co-marketing promises, partly
    built in since you pay only your share; `on_whole_spend` = (people per unit of the joint
    campaigns' whole spend, all parties' shares together) / (solo, where whole spend is your
    own) — whether the joint campaigns themselves were more efficient. `roi_comparison` is joint
    ROI minus solo ROI, with both ROIs. Each says how many campaigns stand on each side and
    gives a 90 % campaign-level bootstrap `interval` (campaigns resampled with replacement
    within each side, 2,000 times, fixed seed), or, with fewer than 3 campaigns on a side, no
    interval and a `warning`. The multipliers rest on each side's `people_reached`, over the
    placements whose reach is known (its `label` says whether that is people). `reach_multiplier` is
    `multipliers.on_your_spend.value`, kept for compatibility; `reading` states both.

    Only what was reported counts: a sum no placement reported is null (not 0), and
    `not_reported` says how many of the `placements` left each figure out. A ratio uses only
    the placement-months that reported both its parts on every day with results (spend, from
    the ledger, is always known); its `coverage` says how much of each part that is, with a
    `notice` when under half.
    """
    today = company_today(current_actor().user.organization)
    period = services.period_for(query["preset"], query["start"], query["end"], today=today)
    filters = services.Filters(
        partner_id=query["partner"], channel=query["channel"], campaign_id=query["campaign"]
    )
    board = services.dashboard(current_actor(), period, filters)
    breakdowns = {
        "by_channel": tables.by_channel(board),
        "by_partner": tables.by_partner(board),
        "by_month": tables.by_month(board),
    }
    return {
        "period": {"start": period.start, "end": period.end},
        "currencies": [
            {
                "currency": c.currency,
                "joint": _figures(c.joint, c.currency),
                "solo": _figures(c.solo, c.currency),
                **multiplier_fields(c),
                "reach_multiplier": schemas.ratio(c.reach_multiplier),
                "reading": headline.reading(c),
                "missing": c.missing,
                "notices": c.notices,
            }
            for c in board.comparisons
        ],
        **{key: _rows(table) for key, table in breakdowns.items()},
        "sums_notes": {key: table.sums_note for key, table in breakdowns.items()},
    }
