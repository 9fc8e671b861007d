"""The campaign report's pure parts and the record they make up: the daily and weekly trend,
placements ranked by cost per 1,000 reached and by cost per lead, the budget burn-down, and
``CampaignReport`` itself. Functions over small frames and integers, tested without a database;
money stays integer minor units, ratios exact fractions (None where the denominator is zero).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import pandas as pd

from comarketing.budgets.settlement import Settlement
from comarketing.campaigns.models import Campaign
from comarketing.metrics.models import DAYS_FIELDS, VALUE_FIELDS
from comarketing.reports import coverage
from comarketing.reports.campaign_pacing import GoalPacing, Timeline
from comarketing.reports.coverage import Coverage, ratio

# Entries dated this long after the campaign's end still get a day of their own in the
# burn-down; anything later is shown on its last day (a mistyped year cannot make it endless).
BURN_DAYS_AFTER_END = 366

# ---------------------------------------------------------------------------------------------
# Trend

# Every figure a day carries: impressions, reach, clicks, leads, conversions, revenue, cost.
TREND_COLUMNS = list(VALUE_FIELDS)


def empty_daily() -> pd.DataFrame:
    return pd.DataFrame(
        {"day": pd.Series(dtype="object"), **{n: pd.Series(dtype="Int64") for n in TREND_COLUMNS}}
    )


def reported(value: object) -> int | None:
    """A trend figure as an int, or None where it was not reported (NA)."""
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[call-overload]


def with_not_reported(records: list[dict[str, object]]) -> list[dict[str, object]]:
    """Trend rows for tables: "not reported" where nobody reported a figure."""
    return [
        {
            k: (NOT_REPORTED_TEXT if k in TREND_NULLABLE and reported(v) is None else v)
            for k, v in record.items()
        }
        for record in records
    ]


def totals_to(daily: pd.DataFrame, as_of: date) -> dict[str, int]:
    """Sums of the days up to ``as_of`` (days recorded ahead of it are not counted yet)."""
    upto = daily[daily["day"] <= as_of] if not daily.empty else daily
    return {name: int(upto[name].sum()) if not upto.empty else 0 for name in TREND_COLUMNS}


WEEKLY_MONEY = ["spend_minor", "difference_minor"]
TREND_NULLABLE = {*TREND_COLUMNS, "difference_minor"}
NOT_REPORTED_TEXT = coverage.NOT_REPORTED


def _week(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly(daily: pd.DataFrame, ledger_days: pd.DataFrame | None = None) -> pd.DataFrame:
    """The daily sums by week (Monday to Sunday), with the number of days that have figures,
    beside the week's **spend** from the ledger (``ledger_days``: day, spent_minor, net of
    reversals) and the difference *reported cost - spend*. Two costs, never mixed: the
    results' ``cost_minor`` is what the platforms reported."""
    columns = ["week", "days", *TREND_COLUMNS, *WEEKLY_MONEY]
    spent = pd.DataFrame(columns=["week", "spend_minor"])
    if ledger_days is not None and not ledger_days.empty:
        spent = pd.DataFrame(
            {
                "week": [_week(d) for d in ledger_days["day"]],
                "spend_minor": ledger_days["spent_minor"].astype("int64"),
            }
        )
        spent = spent.groupby("week", as_index=False)["spend_minor"].sum()
        spent = spent[spent["spend_minor"] != 0]
    if daily.empty and spent.empty:
        return pd.DataFrame(columns=columns)
    out = pd.DataFrame(columns=["week", "days", *TREND_COLUMNS])
    if not daily.empty:
        frame = daily.copy()
        frame["week"] = [_week(d) for d in frame["day"]]
        grouped = frame.groupby("week", as_index=False)
        # A week nobody reported a figure in keeps NA (not reported), not 0.
        out = grouped[TREND_COLUMNS].sum(min_count=1)
        out["days"] = grouped["day"].count()["day"].astype("int64")
    out = out.merge(spent, on="week", how="outer")
    for name in ("days", "spend_minor"):
        out[name] = out[name].fillna(0).astype("int64")
    for name in TREND_COLUMNS:
        out[name] = out[name].astype("Int64")
    out["difference_minor"] = out["cost_minor"] - out["spend_minor"]
    return out[columns].sort_values("week").reset_index(drop=True)


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
    impressions: int | None  # None: not reported (sums of what was reported)
    reach: int | None
    clicks: int | None
    leads: int | None
    # Per ratio, the months that reported both its parts (``reports.coverage``); absent: every
    # month reported everything.
    coverage: Mapping[str, Coverage] = field(default_factory=dict)
    # The platform's deduplicated reach over the placement's whole flight (people); None: not
    # reported. A campaign's report covers every flight whole (``reports.people``).
    flight_reach: int | None = None

    def _covered(self, name: str, figure: int | None) -> tuple[int, int]:
        cover = self.coverage.get(name)
        if cover is None:
            return self.spend_minor, figure or 0
        return cover.covered_a, cover.covered_b

    @property
    def cost_per_thousand_reached_minor(self) -> Fraction | None:
        """Over the months that reported reach; None without spend there or without reach:
        no spend is not a cost of 0."""
        spend, reach = self._covered("cost_per_thousand_reached_minor", self.reach)
        return ratio(spend * 1000, reach) if spend > 0 else None

    @property
    def cpl_minor(self) -> Fraction | None:
        """Over the months that reported leads; None without spend there or without leads."""
        spend, leads = self._covered("cpl_minor", self.leads)
        return ratio(spend, leads) if spend > 0 else None

    def coverage_text(self, by: str) -> str | None:
        """ "reach reported for 40 % of spend" when a ratio leaves some spend out."""
        cover = self.coverage.get(by)
        if cover is None or cover.share is None or cover.share >= 1:
            return None
        if getattr(self, by) is None:  # not ranked: its reason says why
            return None
        return cover.notice or cover.text


def placement_figures(
    placements: pd.DataFrame, months: pd.DataFrame, spend: pd.DataFrame
) -> list[PlacementFigures]:
    """Each placement with its sums and ratios' coverage by placement-month.

    ``placements``: placement_id, name, channel, owner_id, owner, spend_minor (whole);
    ``months``: placement_id, month, days and per figure its sum and ``DAYS_FIELDS`` count;
    ``spend``: placement_id, month, spend_minor."""
    cells = months.merge(spend, on=["placement_id", "month"], how="outer")
    for name in ("days", *VALUE_FIELDS, *DAYS_FIELDS.values(), "spend_minor"):
        if name not in cells:
            cells[name] = 0
        cells[name] = cells[name].fillna(0).astype("int64")
    for name in VALUE_FIELDS:
        reported = cells[DAYS_FIELDS[name]]
        cells[f"full__{name}"] = (cells["days"] > 0) & (reported == cells["days"])
        cells[f"any__{name}"] = reported > 0
    cells = cells.rename(columns={"cost_minor": "reported_cost_minor"}).rename(
        columns=lambda c: c.replace("__cost_minor", "__reported_cost_minor")
    )
    cells["campaign_id"] = 0
    rows = coverage.totals(coverage.with_coverage_parts(cells), ["placement_id"])
    by_id = {int(r["placement_id"]): coverage.figures_from(r) for r in rows.to_dict("records")}
    out = []
    for p in placements.to_dict("records"):
        figures = by_id.get(int(p["placement_id"]))
        out.append(
            PlacementFigures(
                placement_id=int(p["placement_id"]),
                name=str(p["name"]),
                channel=str(p["channel"]),
                owner_id=int(p["owner_id"]),
                owner=str(p["owner"]),
                spend_minor=int(p["spend_minor"]),
                impressions=figures.impressions if figures else None,
                reach=figures.reach if figures else None,
                clicks=figures.clicks if figures else None,
                leads=figures.leads if figures else None,
                coverage=dict(figures.coverage) if figures else {},
                flight_reach=_count_or_none(p.get("flight_reach")),
            )
        )
    return out


def _count_or_none(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


NO_SPEND = "no spend recorded"
# What a ranking divides by, and what is said of a placement that has none of it.
NOT_REPORTED = {
    "cost_per_thousand_reached_minor": "no reach reported",
    "cpl_minor": "no leads reported",
}


@dataclass(frozen=True)
class RankedPlacement:
    """A placement's place in a ranking: ``rank`` from 1, or None with why it is not ranked."""

    rank: int | None
    placement: PlacementFigures
    unranked_reason: str | None = None


def unranked_reason(placement: PlacementFigures, by: str) -> str | None:
    """Why ``placement`` has no cost by ``by`` ("no spend recorded", "no reach reported", or
    both), or None when it has one."""
    reasons = []
    if placement.spend_minor <= 0:
        reasons.append(NO_SPEND)
    denominator = placement.reach if by == "cost_per_thousand_reached_minor" else placement.leads
    if not denominator:
        reasons.append(NOT_REPORTED[by])
    elif not reasons and getattr(placement, by) is None:
        # Reported, but in no month that reported it on every day and had spend.
        cover = placement.coverage.get(by)
        reasons.append(cover.text if cover and cover.text else NOT_REPORTED[by])
    return ", ".join(reasons) or None


def ranked(placements: list[PlacementFigures], by: str) -> list[RankedPlacement]:
    """Cheapest first by ``by`` (a ratio property: cost per 1,000 reached or per lead). A
    placement with no spend recorded, or without reach / leads, has no such cost: it is listed
    after the ranked ones, by name, with the reason -- never ranked first at a cost of 0."""
    with_cost: list[tuple[PlacementFigures, str | None]] = []
    without: list[tuple[PlacementFigures, str | None]] = []
    for p in placements:
        reason = unranked_reason(p, by)
        (without if reason else with_cost).append((p, reason))
    with_cost.sort(key=lambda pr: (getattr(pr[0], by), pr[0].name, pr[0].placement_id))
    without.sort(key=lambda pr: (pr[0].name, pr[0].placement_id))
    return [RankedPlacement(rank, p) for rank, (p, _) in enumerate(with_cost, 1)] + [
        RankedPlacement(None, p, reason) for p, reason in without
    ]


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
# The report record


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
    def by_reach_cost(self) -> list[RankedPlacement]:
        return ranked(self.placements, "cost_per_thousand_reached_minor")

    @property
    def by_cpl(self) -> list[RankedPlacement]:
        return ranked(self.placements, "cpl_minor")

    @property
    def committed_minor(self) -> int:
        return self.burn[-1].committed_minor if self.burn else 0

    @property
    def spent_minor(self) -> int:
        return self.burn[-1].spent_to_date_minor if self.burn else 0
