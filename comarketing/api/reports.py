"""The campaign report's figures over the API: the same service as the report page.

Money keeps the API's one shape; ratios (share of goal, cost per 1,000 reached, cost per lead)
are decimal strings rounded to 4 places (money ratios in the currency's major units), or null
where the denominator is zero. Another organization's campaign answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, Integer, List, Nested, String
from apiflask.validators import OneOf

from comarketing.api import schemas
from comarketing.api.auth import auth, current_actor
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.dashboard import API_RATIO_NAMES, CoverageOut, conversions, coverage_out
from comarketing.campaigns.models import CampaignKind, CampaignStatus
from comarketing.dates_allowed import Date
from comarketing.reports import campaign_service
from comarketing.reports.campaign_frames import CampaignReport, RankedPlacement, reported
from comarketing.reports.campaign_pacing import GoalPacing
from comarketing.reports.people import DAILY_LABEL

RATIO = {"example": "0.4000"}
COUNTS = ("impressions", "reach", "clicks", "leads")


def _nullable_ratio(description: str) -> String:
    return String(required=True, allow_none=True, metadata={"description": description, **RATIO})


class CampaignRef(Schema):
    id = Integer(strict=True, required=True)
    name = String(required=True)
    kind = String(required=True, validate=OneOf([k.value for k in CampaignKind]))
    status = String(required=True, validate=OneOf([s.value for s in CampaignStatus]))
    currency = String(required=True)
    start_date = Date(required=True)
    end_date = Date(required=True)


class TimelineOut(Schema):
    as_of = Date(required=True, metadata={"description": "The day the report is computed for."})
    phase = String(required=True, validate=OneOf(["not_started", "running", "ended"]))
    elapsed_days = Integer(
        strict=True, required=True, metadata={"description": "Days elapsed, today included."}
    )
    campaign_days = Integer(strict=True, required=True)


REPORTED_BY = String(
    required=True,
    allow_none=True,
    metadata={
        "description": "Who reported the figure to date: 'not reported' (no placement did), "
        "'not reported for 1 of 3 placements' (some did not on all their days), null (all did).",
        "example": "not reported for 1 of 3 placements",
    },
)


class CountGoal(Schema):
    target = Integer(
        strict=True,
        required=True,
        allow_none=True,
        metadata={"description": "null: no goal is set (a goal of 0 counts as none)."},
    )
    to_date = Integer(
        strict=True,
        required=True,
        allow_none=True,
        metadata={"description": "The sum of what was reported; null: not reported (not 0)."},
    )
    reported_by = REPORTED_BY
    share_of_goal = _nullable_ratio("To date over the goal; null without a goal.")
    projected = Integer(
        strict=True,
        required=True,
        allow_none=True,
        metadata={
            "description": "To date / elapsed days x campaign days, rounded; null before the "
            "start; the final total after the end."
        },
    )
    on_track = Boolean(required=True, allow_none=True)
    status = String(
        required=True,
        validate=OneOf(["No goal", "Not reported", "Not started", "On track", "Behind", "Reached"]),
    )
    reached_at = DateTime(required=True, allow_none=True)


class MoneyGoal(Schema):
    target = Nested(schemas.Money, required=True, allow_none=True)
    to_date = Nested(schemas.Money, required=True, allow_none=True)
    reported_by = REPORTED_BY
    share_of_goal = _nullable_ratio("To date over the goal; null without a goal.")
    projected = Nested(schemas.Money, required=True, allow_none=True)
    on_track = Boolean(required=True, allow_none=True)
    status = String(
        required=True,
        validate=OneOf(["No goal", "Not reported", "Not started", "On track", "Behind", "Reached"]),
    )
    reached_at = DateTime(required=True, allow_none=True)


class GoalsOut(Schema):
    reach = Nested(CountGoal, required=True)
    leads = Nested(CountGoal, required=True)
    revenue = Nested(MoneyGoal, required=True)


def _reported_count(description: str = "") -> Integer:
    return Integer(
        strict=True,
        required=True,
        allow_none=True,
        metadata={
            "description": description + "Sum of the reported days; null: not reported (not 0)."
        },
    )


# Reach over several days is summed daily reach: never called people (reports.people).
DAILY_REACH = f"{DAILY_LABEL}. "


class TrendDay(Schema):
    day = Date(required=True)
    impressions = _reported_count()
    reach = _reported_count()
    clicks = _reported_count()
    leads = _reported_count()
    conversions = schemas.conversions_out()
    revenue = Nested(schemas.Money, required=True, allow_none=True)
    cost = Nested(
        schemas.Money,
        required=True,
        allow_none=True,
        metadata={"description": "Reported cost: what the platforms reported with the results."},
    )


class TrendWeek(Schema):
    week_start = Date(required=True, metadata={"description": "The Monday of the week."})
    days = Integer(strict=True, required=True, metadata={"description": "Days with figures."})
    impressions = _reported_count()
    reach = _reported_count(DAILY_REACH)
    clicks = _reported_count()
    leads = _reported_count()
    conversions = schemas.conversions_out()
    revenue = Nested(schemas.Money, required=True, allow_none=True)
    cost = Nested(
        schemas.Money,
        required=True,
        allow_none=True,
        metadata={"description": "Reported cost: what the platforms reported with the results."},
    )
    spend = Nested(
        schemas.Money,
        required=True,
        metadata={
            "description": "Spend: the ledger's expenses that week, net of reversals (a "
            "reversal counts in the week of the entry it reverses)."
        },
    )
    cost_difference = Nested(
        schemas.Money,
        required=True,
        allow_none=True,
        metadata={"description": "Reported cost minus spend; null when no cost was reported."},
    )


class PlacementFiguresOut(Schema):
    rank = Integer(
        strict=True,
        required=True,
        allow_none=True,
        metadata={"description": "From 1, cheapest first; null: not ranked (see unranked)."},
    )
    unranked = String(
        required=True,
        allow_none=True,
        metadata={
            "description": "Why the placement is not ranked: 'no spend recorded', 'no reach "
            "reported' or 'no leads reported' (comma-separated when several); null when ranked.",
            "example": "no spend recorded",
        },
    )
    id = Integer(strict=True, required=True)
    name = String(required=True)
    channel = String(required=True)
    owner = Nested(schemas.OrganizationRef, required=True)
    spend = Nested(
        schemas.Money,
        required=True,
        metadata={
            "description": "Spend: net ledger expenses of the placement (expenses less their "
            "reversals), not the platform-reported cost of its results."
        },
    )
    impressions = _reported_count()
    reach = _reported_count(DAILY_REACH)
    flight_reach = Integer(
        strict=True,
        required=True,
        allow_none=True,
        metadata={
            "description": "People reached: the platform's own deduplicated reach over the "
            "placement's whole flight; null: not reported (not 0)."
        },
    )
    clicks = _reported_count()
    leads = _reported_count()
    cost_per_thousand_reached = _nullable_ratio(
        "Spend per 1,000 of daily reach, summed, over the months that reported reach on every "
        "day with results; null without spend there or without reach."
    )
    cpl = _nullable_ratio(
        "Spend per lead over the months that reported leads; null without spend there or "
        "without leads."
    )
    coverage = Dict(
        keys=String(),
        values=Nested(CoverageOut),
        required=True,
        metadata={"description": "For cost_per_thousand_reached and cpl: how much they cover."},
    )


class BurnDayOut(Schema):
    day = Date(required=True)
    committed = Nested(schemas.Money, required=True)
    spent = Nested(schemas.Money, required=True, metadata={"description": "That day."})
    spent_to_date = Nested(schemas.Money, required=True)
    remaining = Nested(schemas.Money, required=True)


class SettlementPosition(Schema):
    organization = Nested(schemas.OrganizationRef, required=True)
    budget_share_bp = Integer(strict=True, required=True)
    paid = Nested(schemas.Money, required=True)
    share = Nested(schemas.Money, required=True)
    balance = Nested(
        schemas.Money,
        required=True,
        metadata={"description": "Positive: the others owe this party; negative: it owes."},
    )


class Transfer(Schema):
    from_organization = Nested(schemas.OrganizationRef, required=True)
    to_organization = Nested(schemas.OrganizationRef, required=True)
    amount = Nested(schemas.Money, required=True)


class SettlementOut(Schema):
    total_spent = Nested(schemas.Money, required=True)
    positions = List(Nested(SettlementPosition), required=True)
    transfers = List(Nested(Transfer), required=True)


class CampaignReportOut(Schema):
    campaign = Nested(CampaignRef, required=True)
    timeline = Nested(TimelineOut, required=True)
    goals = Nested(GoalsOut, required=True)
    daily = List(Nested(TrendDay), required=True)
    weekly = List(Nested(TrendWeek), required=True)
    placements_by_cost_per_thousand_reached = List(
        Nested(PlacementFiguresOut),
        required=True,
        metadata={
            "description": "Cheapest first; then, unranked, placements with no spend recorded "
            "or no reach reported."
        },
    )
    placements_by_cpl = List(
        Nested(PlacementFiguresOut),
        required=True,
        metadata={
            "description": "Cheapest first; then, unranked, placements with no spend recorded "
            "or no leads reported."
        },
    )
    burn_down = List(Nested(BurnDayOut), required=True)
    settlement = Nested(SettlementOut, required=True)


def _goal(goal: GoalPacing, currency: str) -> dict[str, Any]:
    def amount(value: int | None) -> Any:
        return schemas.money(value, currency) if goal.money else value

    return {
        "target": amount(goal.target),
        "to_date": amount(goal.reported_to_date),
        "reported_by": goal.reporting.note,
        "share_of_goal": schemas.ratio(goal.share),
        "projected": amount(goal.projected_rounded),
        "on_track": goal.on_track,
        "status": goal.status,
        "reached_at": goal.reached_at,
    }


def _trend(record: dict[str, Any], currency: str) -> dict[str, Any]:
    """Null where no placement reported a figure in the day or week (never 0)."""
    return {
        **{name: reported(record[name]) for name in COUNTS},
        "conversions": conversions(reported(record["conversions_hundredths"])),
        "revenue": schemas.money(reported(record["revenue_minor"]), currency),
        "cost": schemas.money(reported(record["cost_minor"]), currency),
    }


def _placements(placements: list[RankedPlacement], currency: str) -> list[dict[str, Any]]:
    return [
        {
            "rank": ranked.rank,
            "unranked": ranked.unranked_reason,
            "id": p.placement_id,
            "name": p.name,
            "channel": p.channel,
            "owner": {"id": p.owner_id, "name": p.owner},
            "spend": schemas.money(p.spend_minor, currency),
            "impressions": p.impressions,
            "reach": p.reach,
            "flight_reach": p.flight_reach,
            "clicks": p.clicks,
            "leads": p.leads,
            "cost_per_thousand_reached": schemas.money_ratio(
                p.cost_per_thousand_reached_minor, currency
            ),
            "cpl": schemas.money_ratio(p.cpl_minor, currency),
            "coverage": {
                API_RATIO_NAMES[name]: coverage_out(cover)
                for name, cover in p.coverage.items()
                if name in ("cost_per_thousand_reached_minor", "cpl_minor")
            },
        }
        for ranked in placements
        for p in (ranked.placement,)
    ]


def _settlement(report: CampaignReport) -> dict[str, Any]:
    currency = report.currency
    names = report.party_names
    shares = {p.organization_id: p.budget_share_bp for p in report.parties}

    def org(organization_id: int) -> dict[str, Any]:
        return {"id": organization_id, "name": names.get(organization_id, "")}

    settlement = report.settlement
    return {
        "total_spent": schemas.money(settlement.total_spent_minor, currency),
        "positions": [
            {
                "organization": org(p.organization_id),
                "budget_share_bp": shares.get(p.organization_id, 0),
                "paid": schemas.money(p.paid_minor, currency),
                "share": schemas.money(p.share_minor, currency),
                "balance": schemas.money(p.balance_minor, currency),
            }
            for p in settlement.positions
        ],
        "transfers": [
            {
                "from_organization": org(t.from_organization_id),
                "to_organization": org(t.to_organization_id),
                "amount": schemas.money(t.amount_minor, currency),
            }
            for t in settlement.transfers
        ],
    }


@bp.get("/reports/campaigns/<int:campaign_id>")
@bp.auth_required(auth)
@bp.input(schemas.CampaignPath, location="path", arg_name="path")
@bp.output(CampaignReportOut)
@bp.doc(operation_id="getCampaignReport", responses=ERRORS)
def campaign_report(campaign_id: int, path: dict[str, int]) -> dict[str, Any]:
    """A campaign's report

    The same figures as the campaign's report page: goal pacing for reach, leads and revenue
    (to date, share of the goal, a linear projection to the end date, on track or not), the
    daily and weekly trend, placements ranked by cost per 1,000 reached and by cost per lead,
    the budget burn-down from the ledger and the settlement between the parties. Reach over
    more than a day (weeks, placements, the reach goal to date) is the daily reach, summed: a
    person counts once per day reached.

    Only what was reported counts: a figure nobody reported is null (not 0), goals say who did
    not report (`reported_by`), and a placement's cost per 1,000 reached or per lead uses only
    the months that reported reach or leads on every day, with its `coverage`.
    """
    report = campaign_service.campaign_report(current_actor(), campaign_id)
    campaign, currency, timeline = report.campaign, report.currency, report.timeline
    goals = {goal.goal: _goal(goal, currency) for goal in report.goals}
    return {
        "campaign": {
            "id": campaign.id,
            "name": campaign.name,
            "kind": campaign.kind,
            "status": campaign.status,
            "currency": currency,
            "start_date": campaign.start_date,
            "end_date": campaign.end_date,
        },
        "timeline": {
            "as_of": timeline.as_of,
            "phase": timeline.phase,
            "elapsed_days": timeline.elapsed_days,
            "campaign_days": timeline.campaign_days,
        },
        "goals": goals,
        "daily": [
            {"day": record["day"], **_trend(record, currency)}
            for record in report.daily.to_dict("records")
        ],
        "weekly": [
            {
                "week_start": record["week"],
                "days": int(record["days"]),
                **_trend(record, currency),
                "spend": schemas.money(int(record["spend_minor"]), currency),
                "cost_difference": schemas.money(reported(record["difference_minor"]), currency),
            }
            for record in report.weekly.to_dict("records")
        ],
        "placements_by_cost_per_thousand_reached": _placements(report.by_reach_cost, currency),
        "placements_by_cpl": _placements(report.by_cpl, currency),
        "burn_down": [
            {
                "day": b.day,
                "committed": schemas.money(b.committed_minor, currency),
                "spent": schemas.money(b.spent_minor, currency),
                "spent_to_date": schemas.money(b.spent_to_date_minor, currency),
                "remaining": schemas.money(b.remaining_minor, currency),
            }
            for b in report.burn
        ],
        "settlement": _settlement(report),
    }
