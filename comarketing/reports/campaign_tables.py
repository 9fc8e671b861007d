"""The campaign report's tables: what the page renders and the exports write
(``exports.Table``), one builder per table key -- goal pacing, daily and weekly trend, the two
placement rankings, the burn-down, the settlement and the transfers that square it."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from typing import Any

from comarketing.chart_steps import DAILY_UP_TO
from comarketing.money import SHARE_TOTAL
from comarketing.reports import tables
from comarketing.reports.campaign_frames import (
    CampaignReport,
    RankedPlacement,
    with_not_reported,
)
from comarketing.reports.coverage import NOT_REPORTED
from comarketing.reports.exports import Column, Table
from comarketing.reports.people import DAILY_LABEL

TABLES = {
    "pacing": "Goal pacing",
    "daily": "Daily trend",
    "weekly": "Weekly trend",
    "reach-cost": "Placements by cost per 1,000 of daily reach, summed",
    "lead-cost": "Placements by cost per lead",
    "burndown": "Budget burn-down",
    "settlement": "Settlement",
    "transfers": "Transfers that square the settlement",
}
COST_PER_REACH = tables.COST_PER_REACH
FLIGHT_REACH = "People reached (platform's flight reach)"
TREND_TABLE_COLUMNS = [
    Column("impressions", "Impressions", "int"),
    Column("reach", DAILY_LABEL, "int"),
    Column("clicks", "Clicks", "int"),
    Column("leads", "Leads", "int"),
    Column("conversions_hundredths", "Conversions", "hundredths"),
    Column("revenue_minor", "Revenue", "money"),
    Column("cost_minor", "Reported cost", "money"),
]

# Why a table's sums do not add up to the report's headline (``Table.sums_note``); the other
# tables' rows add up exactly (reach: daily reach, summed).
PACING_SUMS = (
    "One row per goal, each its own measure (reach, leads, revenue): the rows are not added up."
)
BURNDOWN_SUMS = (
    "Committed, spent to date and remaining are running totals, not added up: “Spent that "
    "day” adds up to the last day's spent to date."
)
TRANSFERS_SUMS = "Each transfer settles part of the balances above: the amounts add up to no total."


class MeasureTable(Table):
    """A table whose ``measure`` columns hold money on rows marked ``money`` and whole
    numbers elsewhere (the pacing table: reach and leads are counts, revenue is money)."""

    def column_for(self, row: dict[str, Any], column: Column) -> Column:
        if column.kind != "measure":
            return column
        return Column(column.key, column.label, "money" if row.get("money") else "int")

    def value(self, row: dict[str, Any], column: Column) -> Any:
        return super().value(row, self.column_for(row, column))


class RankingTable(Table):
    """A placement ranking: an unranked placement's cost cell says why it has no cost ("no
    spend recorded", "no reach reported" ...) instead of a number, on the page and in files."""

    def value(self, row: dict[str, Any], column: Column) -> Any:
        if row.get("unranked") and column.key in RANKED_BY:
            return row["unranked"]
        return super().value(row, column)


RANKED_BY = ("cost_per_thousand_reached_minor", "cpl_minor")


def display(table: Table, row: dict[str, Any], column: Column) -> str:
    """A cell as the page shows it ("—" where a ratio has no denominator)."""
    if isinstance(table, MeasureTable):
        column = table.column_for(row, column)
    if isinstance(table, RankingTable) and row.get("unranked") and column.key in RANKED_BY:
        return str(row["unranked"])
    return tables.display(table, row, column)


def pacing_table(report: CampaignReport) -> Table:
    rows = []
    for goal in report.goals:
        rows.append(
            {
                "goal": goal.label,
                "money": goal.money,
                "to_date": goal.to_date if goal.reporting.reported else NOT_REPORTED,
                "reporting": goal.reporting.note,
                "target": goal.target,
                "share": goal.share,
                "projected": goal.projected_rounded,
                "status": goal.status,
                "reached_on": goal.reached_at.date() if goal.reached_at else None,
            }
        )
    return MeasureTable(
        name="goal-pacing",
        columns=[
            Column("goal", "Goal"),
            Column("to_date", "To date", "measure"),
            Column("target", "Target", "measure"),
            Column("share", "Share of goal (%)", "percent"),
            Column("projected", "Projected", "measure"),
            Column("status", "Status"),
            Column("reached_on", "Reached on"),
            Column("reporting", "Reported by"),
        ],
        rows=rows,
        currency=report.currency,
        sums_note=PACING_SUMS,
    )


def daily_table(report: CampaignReport) -> Table:
    return Table(
        name="daily-trend",
        columns=[Column("day", "Day"), *TREND_TABLE_COLUMNS],
        rows=with_not_reported(report.daily.to_dict("records")),
        currency=report.currency,
    )


def weekly_table(report: CampaignReport) -> Table:
    return Table(
        name="weekly-trend",
        columns=[
            Column("week", "Week starting"),
            Column("days", "Days with figures", "int"),
            *TREND_TABLE_COLUMNS,
            Column("spend_minor", "Spend (ledger)", "money"),
            Column("difference_minor", "Reported cost minus spend", "money"),
        ],
        rows=with_not_reported(report.weekly.to_dict("records")),
        currency=report.currency,
    )


def _placement_row(ranked: RankedPlacement) -> dict[str, Any]:
    p = ranked.placement
    return {
        "rank": ranked.rank,
        "placement": p.name,
        "channel": p.channel.replace("_", " ").capitalize(),
        "owner": p.owner,
        "spend_minor": p.spend_minor,
        "cost_per_thousand_reached_minor": p.cost_per_thousand_reached_minor,
        "cpl_minor": p.cpl_minor,
        "unranked": ranked.unranked_reason,
        "reach": NOT_REPORTED if p.reach is None else p.reach,
        "flight_reach": NOT_REPORTED if p.flight_reach is None else p.flight_reach,
        "leads": NOT_REPORTED if p.leads is None else p.leads,
        **{
            f"{by}_coverage": p.coverage[by].share if by in p.coverage else None for by in RANKED_BY
        },
        "_notes": {
            by: (text, p.coverage[by].below_half)
            for by in RANKED_BY
            if (text := p.coverage_text(by))
        },
    }


def _placement_columns(last: list[Column]) -> list[Column]:
    return tables.coverage_columns(
        [
            Column("rank", "Rank", "int"),
            Column("placement", "Placement"),
            Column("channel", "Channel"),
            Column("owner", "Owner"),
            Column("spend_minor", "Spend (ledger)", "money"),
            *last,
        ]
    )


def _with_notes(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row's coverage notes (a ratio leaving some spend out) as text, for files."""
    for row in rows:
        row["notes"] = "; ".join(text for text, _ in row["_notes"].values()) or None
    return rows


def reach_cost_table(report: CampaignReport) -> Table:
    return RankingTable(
        name="placements-by-cost-per-1000-reached",
        columns=_placement_columns(
            [
                Column("flight_reach", FLIGHT_REACH, "int"),
                Column("reach", DAILY_LABEL, "int"),
                Column("cost_per_thousand_reached_minor", COST_PER_REACH, "money"),
            ]
        ),
        rows=_with_notes([_placement_row(p) for p in report.by_reach_cost]),
        currency=report.currency,
    )


def lead_cost_table(report: CampaignReport) -> Table:
    return RankingTable(
        name="placements-by-cost-per-lead",
        columns=_placement_columns(
            [Column("leads", "Leads", "int"), Column("cpl_minor", "Cost per lead", "money")]
        ),
        rows=_with_notes([_placement_row(p) for p in report.by_cpl]),
        currency=report.currency,
    )


def burndown_table(report: CampaignReport) -> Table:
    return Table(
        name="budget-burn-down",
        columns=[
            Column("day", "Day"),
            Column("committed_minor", "Committed", "money"),
            Column("spent_minor", "Spent that day", "money"),
            Column("spent_to_date_minor", "Spent to date", "money"),
            Column("remaining_minor", "Remaining", "money"),
        ],
        rows=[
            {
                "day": b.day,
                "committed_minor": b.committed_minor,
                "spent_minor": b.spent_minor,
                "spent_to_date_minor": b.spent_to_date_minor,
                "remaining_minor": b.remaining_minor,
            }
            for b in report.burn
        ],
        currency=report.currency,
        sums_note=BURNDOWN_SUMS,
    )


def settlement_table(report: CampaignReport) -> Table:
    shares = {p.organization_id: p.budget_share_bp for p in report.parties}
    names = report.party_names
    return Table(
        name="settlement",
        columns=[
            Column("party", "Party"),
            Column("budget_share", "Budget share (%)", "percent"),
            Column("paid_minor", "Paid", "money"),
            Column("share_minor", "Share of spend", "money"),
            Column("balance_minor", "Balance", "money"),
        ],
        rows=[
            {
                "party": names.get(p.organization_id, ""),
                "budget_share": Fraction(shares.get(p.organization_id, 0), SHARE_TOTAL),
                "paid_minor": p.paid_minor,
                "share_minor": p.share_minor,
                "balance_minor": p.balance_minor,
            }
            for p in report.settlement.positions
        ],
        currency=report.currency,
    )


def transfers_table(report: CampaignReport) -> Table:
    names = report.party_names
    return Table(
        name="settlement-transfers",
        columns=[
            Column("from", "Who pays"),
            Column("to", "To whom"),
            Column("amount_minor", "Amount", "money"),
        ],
        rows=[
            {
                "from": names.get(t.from_organization_id, ""),
                "to": names.get(t.to_organization_id, ""),
                "amount_minor": t.amount_minor,
            }
            for t in report.settlement.transfers
        ],
        currency=report.currency,
        sums_note=TRANSFERS_SUMS,
    )


BUILDERS = {
    "pacing": pacing_table,
    "daily": daily_table,
    "weekly": weekly_table,
    "reach-cost": reach_cost_table,
    "lead-cost": lead_cost_table,
    "burndown": burndown_table,
    "settlement": settlement_table,
    "transfers": transfers_table,
}


def all_tables(report: CampaignReport) -> dict[str, Table]:
    return {key: build(report) for key, build in BUILDERS.items()}


def page_tables(report: CampaignReport) -> dict[str, Table]:
    """:func:`all_tables` as the page shows them: a long campaign's daily and burn-down tables
    hold their last ``chart_steps.DAILY_UP_TO`` days (the files keep every day; the weekly
    table covers every week, the burn-down chart the whole run), so the page's size does not
    grow with the campaign's length."""
    out = all_tables(report)
    cuts = {
        "daily": "days with results: the CSV and Excel files hold every day, and the weekly "
        "table covers every week.",
        "burndown": "days: the CSV and Excel files hold every day, and the chart above covers "
        "the whole run.",
    }
    for key, rest in cuts.items():
        table = out[key]
        if len(table.rows) > DAILY_UP_TO:
            out[key] = replace(
                table,
                rows=table.rows[-DAILY_UP_TO:],
                sums_note=f"The last {DAILY_UP_TO} of {len(table.rows):,} {rest}",
            )
    return out
