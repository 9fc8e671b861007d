"""The campaign report: goal pacing, daily and weekly trend, placements ranked by cost per
1,000 reached and by cost per lead, the budget burn-down and the settlement.

A fixed number of queries whatever the number of placements or days: the campaign, its
parties, its placements with their metric and spend sums, its daily sums, its ledger sums per
day, the goals already reached, and the settlement (two). Aggregation happens in SQL; what
follows is arithmetic on those aggregates (pure functions below, tested without a database).
Money stays integer minor units in the campaign's currency; ratios are exact fractions, None
where the denominator is zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from comarketing.accounts.models import Organization
from comarketing.budgets import balances
from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.budgets.settlement import Settlement
from comarketing.campaigns.access import get_visible_campaign
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.metrics.models import (
    VALUE_FIELDS,
    CampaignGoalEvent,
    DailyMetric,
    GoalKind,
    MetricRollup,
)
from comarketing.money import SHARE_TOTAL, exponent
from comarketing.reports import tables
from comarketing.reports.exports import Column, Table
from comarketing.reports.frames import ratio

# Entries dated this long after the campaign's end still get a day of their own in the
# burn-down; anything later is shown on its last day (a mistyped year cannot make it endless).
BURN_DAYS_AFTER_END = 366

# ---------------------------------------------------------------------------------------------
# Goal pacing


@dataclass(frozen=True)
class Timeline:
    """Where the campaign stands on ``as_of``: days elapsed (today included) of its days."""

    start: date
    end: date
    as_of: date

    @property
    def campaign_days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def elapsed_days(self) -> int:
        if self.as_of < self.start:
            return 0
        return min((self.as_of - self.start).days + 1, self.campaign_days)

    @property
    def phase(self) -> str:
        if self.as_of < self.start:
            return "not_started"
        return "ended" if self.as_of > self.end else "running"

    @property
    def label(self) -> str:
        if self.phase == "not_started":
            days = (self.start - self.as_of).days
            return f"Starts in {days:,} day{'s' if days != 1 else ''}"
        if self.phase == "ended":
            return f"Ended after {self.campaign_days:,} days"
        return f"Day {self.elapsed_days:,} of {self.campaign_days:,}"


def projection(to_date: int, timeline: Timeline) -> Fraction | None:
    """The total at the end date if the campaign keeps its pace so far: to-date / elapsed days
    * campaign days. None before the start (no pace yet); after the end, the final total."""
    elapsed = timeline.elapsed_days
    if elapsed == 0:
        return None
    return Fraction(to_date * timeline.campaign_days, elapsed)


@dataclass(frozen=True)
class GoalPacing:
    goal: str  # reach | leads | revenue
    label: str
    money: bool
    target: int | None  # None: no goal (a goal of 0 is none either)
    to_date: int
    projected: Fraction | None
    reached_at: datetime | None = None

    @property
    def has_goal(self) -> bool:
        return self.target is not None and self.target > 0

    @property
    def projected_rounded(self) -> int | None:
        """The projection in whole units (people, leads, minor units of money)."""
        return None if self.projected is None else round(self.projected)

    @property
    def share(self) -> Fraction | None:
        return ratio(self.to_date, self.target) if self.has_goal and self.target else None

    @property
    def reached(self) -> bool:
        return self.has_goal and self.target is not None and self.to_date >= self.target

    @property
    def on_track(self) -> bool | None:
        """None without a goal or a pace; True once reached or when the projection gets there."""
        if not self.has_goal or self.target is None:
            return None
        if self.reached:
            return True
        if self.projected is None:
            return None
        return self.projected >= self.target

    @property
    def status(self) -> str:
        if not self.has_goal:
            return "No goal"
        if self.reached:
            return "Reached"
        if self.on_track is None:
            return "Not started"
        return "On track" if self.on_track else "Behind"


GOALS = (
    (GoalKind.REACH, "Reach", "target_reach", "reach", False),
    (GoalKind.LEADS, "Leads", "target_leads", "leads", False),
    (GoalKind.REVENUE, "Revenue", "target_revenue_minor", "revenue_minor", True),
)


def pacing(
    campaign: Campaign,
    totals: dict[str, int],
    timeline: Timeline,
    reached_at: dict[str, datetime] | None = None,
) -> list[GoalPacing]:
    reached_at = reached_at or {}
    out = []
    for goal, label, target_name, figure, money in GOALS:
        target = getattr(campaign, target_name)
        to_date = int(totals.get(figure, 0))
        out.append(
            GoalPacing(
                goal=goal.value,
                label=label,
                money=money,
                target=int(target) if target is not None and target > 0 else None,
                to_date=to_date,
                projected=projection(to_date, timeline),
                reached_at=reached_at.get(goal.value),
            )
        )
    return out


# ---------------------------------------------------------------------------------------------
# Trend

# Every figure a day carries: impressions, reach, clicks, leads, conversions, revenue, cost.
TREND_COLUMNS = list(VALUE_FIELDS)


def empty_daily() -> pd.DataFrame:
    return pd.DataFrame(
        {"day": pd.Series(dtype="object"), **{n: pd.Series(dtype="int64") for n in TREND_COLUMNS}}
    )


def totals_to(daily: pd.DataFrame, as_of: date) -> dict[str, int]:
    """Sums of the days up to ``as_of`` (days recorded ahead of it are not counted yet)."""
    upto = daily[daily["day"] <= as_of] if not daily.empty else daily
    return {name: int(upto[name].sum()) if not upto.empty else 0 for name in TREND_COLUMNS}


def weekly(daily: pd.DataFrame) -> pd.DataFrame:
    """The daily sums by week (Monday to Sunday), with the number of days that have figures."""
    if daily.empty:
        return pd.DataFrame(columns=["week", "days", *TREND_COLUMNS])
    frame = daily.copy()
    frame["week"] = [d - timedelta(days=d.weekday()) for d in frame["day"]]
    grouped = frame.groupby("week", as_index=False)
    out = grouped[TREND_COLUMNS].sum()
    out["days"] = grouped["day"].count()["day"].astype("int64")
    return out.sort_values("week").reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Placements


@dataclass(frozen=True)
class PlacementFigures:
    placement_id: int
    name: str
    channel: str
    owner_id: int
    owner: str
    spend_minor: int  # net ledger expenses of the placement
    impressions: int
    reach: int
    clicks: int
    leads: int

    @property
    def cost_per_thousand_reached_minor(self) -> Fraction | None:
        return ratio(self.spend_minor * 1000, self.reach)

    @property
    def cpl_minor(self) -> Fraction | None:
        return ratio(self.spend_minor, self.leads)


def ranked(placements: list[PlacementFigures], by: str) -> list[PlacementFigures]:
    """Cheapest first by ``by`` (a ratio property); placements without a denominator last."""

    def key(p: PlacementFigures) -> tuple[bool, Fraction, str, int]:
        value = getattr(p, by)
        return (value is None, value if value is not None else Fraction(0), p.name, p.placement_id)

    return sorted(placements, key=key)


# ---------------------------------------------------------------------------------------------
# Burn-down


@dataclass(frozen=True)
class BurnDay:
    day: date
    committed_minor: int  # commitments so far, net of reversals
    spent_minor: int  # net expenses of the day
    spent_to_date_minor: int

    @property
    def remaining_minor(self) -> int:
        return self.committed_minor - self.spent_to_date_minor


def burn_down(ledger_days: pd.DataFrame, timeline: Timeline) -> list[BurnDay]:
    """Cumulative commitments and spend per day from the start to the last day that has
    happened or has entries. Entries dated before the start count on the first day.

    ``ledger_days``: day, committed_minor, spent_minor (net amounts of entries that day)."""
    start, end = timeline.start, timeline.end
    last = min(max(timeline.as_of, start), end)
    if not ledger_days.empty:
        last = max(last, max(ledger_days["day"]))
    last = min(last, end + timedelta(days=BURN_DAYS_AFTER_END))
    by_day: dict[date, tuple[int, int]] = {}
    for day, committed, spent in zip(
        ledger_days["day"], ledger_days["committed_minor"], ledger_days["spent_minor"], strict=True
    ):
        clipped = min(max(day, start), last)
        old = by_day.get(clipped, (0, 0))
        by_day[clipped] = (old[0] + int(committed), old[1] + int(spent))
    out = []
    committed_so_far = spent_so_far = 0
    for index in range((last - start).days + 1):
        day = start + timedelta(days=index)
        committed, spent = by_day.get(day, (0, 0))
        committed_so_far += committed
        spent_so_far += spent
        out.append(BurnDay(day, committed_so_far, spent, spent_so_far))
    return out


# ---------------------------------------------------------------------------------------------
# The report


@dataclass(frozen=True)
class Party:
    organization_id: int
    name: str
    budget_share_bp: int
    revenue_share_bp: int


@dataclass
class CampaignReport:
    campaign: Campaign
    timeline: Timeline
    parties: list[Party]
    goals: list[GoalPacing]
    daily: pd.DataFrame  # day + TREND_COLUMNS, days with figures, in order
    weekly: pd.DataFrame  # week, days + TREND_COLUMNS
    placements: list[PlacementFigures]
    burn: list[BurnDay]
    settlement: Settlement
    totals: dict[str, int] = field(default_factory=dict)  # to date

    @property
    def currency(self) -> str:
        return self.campaign.currency

    @property
    def party_names(self) -> dict[int, str]:
        return {p.organization_id: p.name for p in self.parties}

    @property
    def by_reach_cost(self) -> list[PlacementFigures]:
        return ranked(self.placements, "cost_per_thousand_reached_minor")

    @property
    def by_cpl(self) -> list[PlacementFigures]:
        return ranked(self.placements, "cpl_minor")

    @property
    def committed_minor(self) -> int:
        return self.burn[-1].committed_minor if self.burn else 0

    @property
    def spent_minor(self) -> int:
        return self.burn[-1].spent_to_date_minor if self.burn else 0


def _signed_ledger() -> tuple[Any, Any, Any]:
    """(entry kind with a reversal counted as the kind it reverses, signed amount, the
    aliased original entry to outer-join on ``reverses_id``)."""
    original = aliased(LedgerEntry, name="original")
    kind = sa.case(
        (LedgerEntry.kind == EntryKind.REVERSAL.value, original.kind), else_=LedgerEntry.kind
    )
    signed = sa.case(
        (LedgerEntry.kind == EntryKind.REVERSAL.value, -LedgerEntry.amount_minor),
        else_=LedgerEntry.amount_minor,
    )
    return kind, signed, original


def _sum_of(kind: Any, signed: Any, wanted: EntryKind) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((kind == wanted.value, signed), else_=0)), 0)


def _placements(campaign_id: int) -> list[PlacementFigures]:
    figures = ("impressions", "reach", "clicks", "leads")
    metric_sums = (
        sa.select(
            MetricRollup.placement_id.label("placement_id"),
            *(sa.func.sum(getattr(MetricRollup, f)).label(f) for f in figures),
        )
        .where(MetricRollup.campaign_id == campaign_id)
        .group_by(MetricRollup.placement_id)
        .subquery()
    )
    kind, signed, original = _signed_ledger()
    spend = (
        sa.select(
            LedgerEntry.placement_id.label("placement_id"),
            _sum_of(kind, signed, EntryKind.EXPENSE).label("spend_minor"),
        )
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.campaign_id == campaign_id, LedgerEntry.placement_id.is_not(None))
        .group_by(LedgerEntry.placement_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            Placement.id,
            Placement.name,
            Placement.channel,
            Placement.owner_organization_id,
            Organization.name,
            spend.c.spend_minor,
            *(metric_sums.c[f] for f in figures),
        )
        .join(Organization, Organization.id == Placement.owner_organization_id)
        .outerjoin(metric_sums, metric_sums.c.placement_id == Placement.id)
        .outerjoin(spend, spend.c.placement_id == Placement.id)
        .where(Placement.campaign_id == campaign_id)
        .order_by(Placement.id)
    ).all()
    return [
        PlacementFigures(
            placement_id=int(pid),
            name=str(name),
            channel=str(channel),
            owner_id=int(owner_id),
            owner=str(owner),
            spend_minor=int(spent or 0),
            impressions=int(impressions or 0),
            reach=int(reach or 0),
            clicks=int(clicks or 0),
            leads=int(leads or 0),
        )
        for pid, name, channel, owner_id, owner, spent, impressions, reach, clicks, leads in rows
    ]


def _daily(campaign: Campaign) -> pd.DataFrame:
    """One GROUP BY over the campaign's daily rows within its dates."""
    rows = db.session.execute(
        sa.select(
            DailyMetric.day,
            *(sa.func.sum(getattr(DailyMetric, f)).label(f) for f in TREND_COLUMNS),
        )
        .where(
            DailyMetric.campaign_id == campaign.id,
            DailyMetric.day.between(campaign.start_date, campaign.end_date),
        )
        .group_by(DailyMetric.day)
        .order_by(DailyMetric.day)
    ).all()
    if not rows:
        return empty_daily()
    frame = pd.DataFrame(rows, columns=["day", *TREND_COLUMNS])
    for name in TREND_COLUMNS:
        frame[name] = frame[name].fillna(0).astype("int64")
    return frame


def _ledger_days(campaign_id: int) -> pd.DataFrame:
    kind, signed, original = _signed_ledger()
    rows = db.session.execute(
        sa.select(
            LedgerEntry.occurred_on,
            _sum_of(kind, signed, EntryKind.COMMITMENT),
            _sum_of(kind, signed, EntryKind.EXPENSE),
        )
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.campaign_id == campaign_id)
        .group_by(LedgerEntry.occurred_on)
        .order_by(LedgerEntry.occurred_on)
    ).all()
    return pd.DataFrame(
        [(day, int(c), int(s)) for day, c, s in rows],
        columns=["day", "committed_minor", "spent_minor"],
    )


def _parties(campaign_id: int) -> list[Party]:
    rows = db.session.execute(
        sa.select(
            CampaignParty.organization_id,
            Organization.name,
            CampaignParty.budget_share_bp,
            CampaignParty.revenue_share_bp,
        )
        .join(Organization, Organization.id == CampaignParty.organization_id)
        .where(CampaignParty.campaign_id == campaign_id)
        .order_by(Organization.name, CampaignParty.organization_id)
    ).all()
    return [Party(int(o), str(n), int(b), int(r)) for o, n, b, r in rows]


def _reached_at(campaign_id: int) -> dict[str, datetime]:
    return {
        str(goal): at
        for goal, at in db.session.execute(
            sa.select(CampaignGoalEvent.goal, CampaignGoalEvent.reached_at).where(
                CampaignGoalEvent.campaign_id == campaign_id
            )
        ).all()
    }


def campaign_report(actor: Actor, campaign_id: int, today: date | None = None) -> CampaignReport:
    """The report of a campaign the actor's company is party to (others: NotFound)."""
    campaign = get_visible_campaign(actor, campaign_id)
    timeline = Timeline(campaign.start_date, campaign.end_date, today or date.today())
    daily = _daily(campaign)
    totals = totals_to(daily, timeline.as_of)
    return CampaignReport(
        campaign=campaign,
        timeline=timeline,
        parties=_parties(campaign.id),
        goals=pacing(campaign, totals, timeline, _reached_at(campaign.id)),
        daily=daily,
        weekly=weekly(daily),
        placements=_placements(campaign.id),
        burn=burn_down(_ledger_days(campaign.id), timeline),
        settlement=balances.settlement(campaign.id),
        totals=totals,
    )


# ---------------------------------------------------------------------------------------------
# Chart data (drawn by static/js/campaign-report.js from JSON in the page)


def chart_data(report: CampaignReport) -> dict[str, Any]:
    daily = report.daily
    labels: list[str] = []
    series: dict[str, list[int]] = {name: [] for name in TREND_COLUMNS}
    if not daily.empty:
        # Every day from the first to the last with figures, 0 where a day has none.
        indexed = daily.set_index("day")
        first, last = min(daily["day"]), max(daily["day"])
        for index in range((last - first).days + 1):
            day = first + timedelta(days=index)
            labels.append(day.isoformat())
            for name in TREND_COLUMNS:
                series[name].append(int(indexed[name].get(day, 0)))
    week = report.weekly
    return {
        "currency": report.currency,
        "divisor": 10 ** exponent(report.currency),
        "daily": {"labels": labels, **series},
        "weekly": {
            "labels": [w.isoformat() for w in week["week"]] if not week.empty else [],
            **{
                name: [int(v) for v in week[name]] if not week.empty else []
                for name in TREND_COLUMNS
            },
        },
        "burn": _burn_chart(report),
    }


def _burn_chart(report: CampaignReport) -> dict[str, Any]:
    """The burn-down's days (to today or the last entry), then the rest of the campaign's
    days without spend, so the chart shows the whole run against the even burn."""
    timeline, burn = report.timeline, report.burn
    last = max(timeline.end, burn[-1].day) if burn else timeline.end
    count = (last - timeline.start).days + 1
    total = report.committed_minor
    days = timeline.campaign_days
    padding: list[int | None] = [None] * (count - len(burn))
    return {
        "labels": [(timeline.start + timedelta(days=i)).isoformat() for i in range(count)],
        # Commitments stand until changed: the line runs on to the end; spend stops at today.
        "committed": [b.committed_minor for b in burn] + [total] * len(padding),
        "spent": [b.spent_to_date_minor for b in burn] + padding,
        "plan": [total * min(i + 1, days) // days for i in range(count)],
    }


# ---------------------------------------------------------------------------------------------
# Tables: what the page renders and the exports write (``exports.Table``)

TABLES = {
    "pacing": "Goal pacing",
    "daily": "Daily trend",
    "weekly": "Weekly trend",
    "reach-cost": "Placements by cost per 1,000 reached",
    "lead-cost": "Placements by cost per lead",
    "burndown": "Budget burn-down",
    "settlement": "Settlement",
    "transfers": "Transfers that square the settlement",
}
TREND_TABLE_COLUMNS = [
    Column("impressions", "Impressions", "int"),
    Column("reach", "Reach", "int"),
    Column("clicks", "Clicks", "int"),
    Column("leads", "Leads", "int"),
    Column("conversions", "Conversions", "int"),
    Column("revenue_minor", "Revenue", "money"),
    Column("cost_minor", "Cost", "money"),
]


class MeasureTable(Table):
    """A table whose ``measure`` columns hold money on rows marked ``money`` and whole
    numbers elsewhere (the pacing table: reach and leads are counts, revenue is money)."""

    def column_for(self, row: dict[str, Any], column: Column) -> Column:
        if column.kind != "measure":
            return column
        return Column(column.key, column.label, "money" if row.get("money") else "int")

    def value(self, row: dict[str, Any], column: Column) -> Any:
        return super().value(row, self.column_for(row, column))


def display(table: Table, row: dict[str, Any], column: Column) -> str:
    """A cell as the page shows it ("—" where a ratio has no denominator)."""
    if isinstance(table, MeasureTable):
        column = table.column_for(row, column)
    return tables.display(table, row, column)


def pacing_table(report: CampaignReport) -> Table:
    rows = []
    for goal in report.goals:
        rows.append(
            {
                "goal": goal.label,
                "money": goal.money,
                "to_date": goal.to_date,
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
        ],
        rows=rows,
        currency=report.currency,
    )


def daily_table(report: CampaignReport) -> Table:
    return Table(
        name="daily-trend",
        columns=[Column("day", "Day"), *TREND_TABLE_COLUMNS],
        rows=report.daily.to_dict("records"),
        currency=report.currency,
    )


def weekly_table(report: CampaignReport) -> Table:
    return Table(
        name="weekly-trend",
        columns=[
            Column("week", "Week starting"),
            Column("days", "Days with figures", "int"),
            *TREND_TABLE_COLUMNS,
        ],
        rows=report.weekly.to_dict("records"),
        currency=report.currency,
    )


def _placement_row(rank: int, p: PlacementFigures) -> dict[str, Any]:
    return {
        "rank": rank,
        "placement": p.name,
        "channel": p.channel.replace("_", " ").capitalize(),
        "owner": p.owner,
        "spend_minor": p.spend_minor,
        "reach": p.reach,
        "leads": p.leads,
        "cost_per_thousand_reached_minor": p.cost_per_thousand_reached_minor,
        "cpl_minor": p.cpl_minor,
    }


def _placement_columns(last: list[Column]) -> list[Column]:
    return [
        Column("rank", "Rank", "int"),
        Column("placement", "Placement"),
        Column("channel", "Channel"),
        Column("owner", "Owner"),
        Column("spend_minor", "Spend", "money"),
        *last,
    ]


def reach_cost_table(report: CampaignReport) -> Table:
    return Table(
        name="placements-by-cost-per-1000-reached",
        columns=_placement_columns(
            [
                Column("reach", "Reach", "int"),
                Column("cost_per_thousand_reached_minor", "Cost per 1,000 reached", "money"),
            ]
        ),
        rows=[_placement_row(i, p) for i, p in enumerate(report.by_reach_cost, 1)],
        currency=report.currency,
    )


def lead_cost_table(report: CampaignReport) -> Table:
    return Table(
        name="placements-by-cost-per-lead",
        columns=_placement_columns(
            [Column("leads", "Leads", "int"), Column("cpl_minor", "Cost per lead", "money")]
        ),
        rows=[_placement_row(i, p) for i, p in enumerate(report.by_cpl, 1)],
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
