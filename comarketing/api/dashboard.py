"""The ROI dashboard's figures over the API: the same service and tables as the page.

Money keeps the API's one shape; ratios (frequency, CPM, ROI, the reach multiplier ...) are
decimal strings rounded to 4 places, or null where the denominator is zero.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Date, Dict, Integer, List, Nested, String

from comarketing import hundredths
from comarketing.api import schemas
from comarketing.api.auth import auth, current_actor
from comarketing.api.blueprint import ERRORS, bp
from comarketing.reports import frames, services, tables
from comarketing.reports.exports import Table

RATIO = String(allow_none=True, required=True, metadata={"example": "2.4000"})


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
        metadata={"description": "Own share of the platform-reported cost (results)"},
    )
    reported_cost_minus_spend = Nested(schemas.Money, required=True)
    impressions = Integer(strict=True, required=True)
    reach = Integer(strict=True, required=True)
    frequency = String(allow_none=True, required=True)
    clicks = Integer(strict=True, required=True)
    leads = Integer(strict=True, required=True)
    conversions = String(
        required=True,
        metadata={"description": "Conversions, exact to two decimals", "example": "2.47"},
    )
    revenue = Nested(schemas.Money, required=True)
    cpm = String(allow_none=True, required=True, metadata={"description": "Per 1,000 impressions"})
    cost_per_thousand_reached = String(allow_none=True, required=True)
    cpl = String(allow_none=True, required=True)
    conversion_rate = String(allow_none=True, required=True)
    roi = String(allow_none=True, required=True)


class CurrencyOut(Schema):
    currency = String(required=True)
    joint = Nested(FiguresOut, required=True)
    solo = Nested(FiguresOut, required=True)
    reach_multiplier = String(allow_none=True, required=True)
    reading = String(required=True)
    missing = List(String(), required=True)


class PeriodOut(Schema):
    start = Date(required=True)
    end = Date(required=True)


class DashboardOut(Schema):
    period = Nested(PeriodOut, required=True)
    currencies = List(Nested(CurrencyOut), required=True)
    by_channel = List(Dict(), required=True)
    by_partner = List(Dict(), required=True)
    by_month = List(Dict(), required=True)


def _figures(figures: frames.Figures, currency: str) -> dict[str, Any]:
    return {
        "campaigns": figures.campaigns,
        "spend": schemas.money(figures.spend_minor, currency),
        "reported_cost": schemas.money(figures.reported_cost_minor, currency),
        "reported_cost_minus_spend": schemas.money(figures.cost_difference_minor, currency),
        "impressions": figures.impressions,
        "reach": figures.reach,
        "frequency": schemas.ratio(figures.frequency),
        "clicks": figures.clicks,
        "leads": figures.leads,
        "conversions": hundredths.to_text(figures.conversions_hundredths),
        "revenue": schemas.money(figures.revenue_minor, currency),
        "cpm": schemas.money_ratio(figures.cpm_minor, currency),
        "cost_per_thousand_reached": schemas.money_ratio(
            figures.cost_per_thousand_reached_minor, currency
        ),
        "cpl": schemas.money_ratio(figures.cpl_minor, currency),
        "conversion_rate": schemas.ratio(figures.conversion_rate),
        "roi": schemas.ratio(figures.roi),
    }


def _rows(table: Table) -> list[dict[str, Any]]:
    """A breakdown table's rows with money in the API's shape and ratios as strings."""
    out = []
    for row in table.rows:
        currency = str(row.get("currency") or "EUR")
        item: dict[str, Any] = {}
        for column in table.columns:
            value = row.get(column.key)
            if column.kind == "money":
                item[column.key.removesuffix("_minor")] = (
                    schemas.money(int(value), currency)
                    if isinstance(value, int)
                    else schemas.money_ratio(value, currency)
                )
            elif column.kind in ("ratio", "percent"):
                item[column.key] = schemas.ratio(value)
            elif column.kind == "int":
                item[column.key] = None if value is None else int(value)
            elif column.kind == "hundredths":  # conversions: "2.47"
                item["conversions"] = None if value is None else hundredths.to_text(int(value))
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
    campaigns' impressions, reach, clicks, leads and conversions, the ratios and the reach
    multiplier, with the by-channel, by-partner and by-month tables. Default period: the last
    12 months.
    """
    period = services.period_for(query["preset"], query["start"], query["end"])
    filters = services.Filters(
        partner_id=query["partner"], channel=query["channel"], campaign_id=query["campaign"]
    )
    board = services.dashboard(current_actor(), period, filters)
    return {
        "period": {"start": period.start, "end": period.end},
        "currencies": [
            {
                "currency": c.currency,
                "joint": _figures(c.joint, c.currency),
                "solo": _figures(c.solo, c.currency),
                "reach_multiplier": schemas.ratio(c.reach_multiplier),
                "reading": c.reading(c.currency),
                "missing": c.missing,
            }
            for c in board.comparisons
        ],
        "by_channel": _rows(tables.by_channel(board)),
        "by_partner": _rows(tables.by_partner(board)),
        "by_month": _rows(tables.by_month(board)),
    }
