"""The ROI dashboard: joint vs solo for one organization and period, in SQL then DataFrames.

A fixed number of statements whatever the number of campaigns, sent together (one round trip
on PostgreSQL): campaigns with their parties, metric sums (rollup + edge days), claimed spend.
Everything else is arithmetic on their results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from comarketing.context import Actor
from comarketing.dates_format import format_date
from comarketing.errors import ValidationFailed
from comarketing.policy import Action, authorize
from comarketing.read_replica import reads_reports
from comarketing.reports import collector, coverage, frames, grouping, people, queries
from comarketing.reports.scope import Scope

PRESETS = {
    "last_30_days": "Last 30 days",
    "last_90_days": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
    "this_quarter": "This quarter",
    "this_year": "This year",
    "last_12_months": "Last 12 months",
    "custom": "Custom",
}
DEFAULT_PRESET = "last_12_months"
COVERED_REACH = {
    "covered_spend_minor": "cost_per_thousand_reached_minor__a",
    "covered_reach": "cost_per_thousand_reached_minor__b",
}
MAX_PERIOD_DAYS = 366 * 5


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    preset: str = "custom"

    @property
    def label(self) -> str:
        """ISO dates, for exported files."""
        return f"{self.start.isoformat()} to {self.end.isoformat()}"

    @property
    def shown(self) -> str:
        """In the one date format, for pages."""
        return f"{format_date(self.start)} to {format_date(self.end)}"


# The rule the page states next to the period controls.
PERIOD_RULE = (
    "Last 30 and last 90 days are counted in days, ending today. The other presets are whole "
    "calendar months: this month, last month, this quarter and this year start on the first "
    "of their month; last 12 months is the 12 whole months before this one plus this month to "
    "date. Editing From or To makes the period Custom."
)


def _months_back(day: date, months: int) -> date:
    """The first day of the month ``months`` calendar months before ``day``'s month."""
    index = day.year * 12 + (day.month - 1) - months
    return date(index // 12, index % 12 + 1, 1)


def preset_period(preset: str, today: date) -> Period:
    """A preset's dates on ``today`` (``preset`` one of :data:`PRESETS` but "custom")."""
    if preset == "last_30_days":
        return Period(today - timedelta(days=29), today, preset)
    if preset == "last_90_days":
        return Period(today - timedelta(days=89), today, preset)
    if preset == "this_month":
        return Period(today.replace(day=1), today, preset)
    if preset == "last_month":
        first = _months_back(today, 1)
        return Period(first, today.replace(day=1) - timedelta(days=1), preset)
    if preset == "this_quarter":
        return Period(_months_back(today, (today.month - 1) % 3), today, preset)
    if preset == "this_year":
        return Period(today.replace(month=1, day=1), today, preset)
    if preset == "last_12_months":
        return Period(_months_back(today, 12), today, preset)
    raise ValidationFailed("Choose a period.", field="preset")


def preset_labels(today: date | None = None) -> dict[str, str]:
    """Each preset's name with its dates on ``today`` (for the Period select)."""
    today = today or date.today()
    return {
        key: label if key == "custom" else f"{label} ({preset_period(key, today).shown})"
        for key, label in PRESETS.items()
    }


def period_for(
    preset: str | None,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> Period:
    """The period asked for. Explicit first and last days that differ from the preset's own
    mean Custom: an edited From/To applies even if the preset was not switched."""
    today = today or date.today()
    preset = preset or (("custom") if start or end else DEFAULT_PRESET)
    if preset != "custom" and (start is not None or end is not None):
        chosen = preset_period(preset, today)
        if (start or chosen.start, end or chosen.end) != (chosen.start, chosen.end):
            preset, start, end = "custom", start or chosen.start, end or chosen.end
    if preset == "custom":
        if start is None or end is None:
            raise ValidationFailed("Give both the first and the last day.", field="start")
        if end < start:
            raise ValidationFailed("The last day is before the first.", field="end")
        if (end - start).days > MAX_PERIOD_DAYS:
            raise ValidationFailed("Choose a period of at most five years.", field="end")
        return Period(start, end, "custom")
    return preset_period(preset, today)


@dataclass(frozen=True)
class Filters:
    partner_id: int | None = None
    channel: str | None = None
    campaign_id: int | None = None


@dataclass
class Dashboard:
    organization_id: int
    period: Period
    filters: Filters
    comparisons: list[frames.Comparison]
    by_channel: pd.DataFrame
    by_partner: pd.DataFrame
    by_month: pd.DataFrame
    campaigns: pd.DataFrame  # campaign_id, kind, name, currency ... (for the filter choices)
    partners: pd.DataFrame  # partner_id, partner (every partner of a scoped joint campaign)
    cells: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    # campaign_id, partner_id, partner: which joint campaigns each partner is in (chart links).
    campaign_partners: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def currencies(self) -> list[str]:
        return [c.currency for c in self.comparisons]

    @property
    def several_currencies(self) -> bool:
        return len(self.comparisons) > 1

    @property
    def filter_notice(self) -> str | None:
        """Why one side of the comparison is missing because of a filter (None when the
        filters keep both sides: the partner and channel filters keep the solo campaigns)."""
        if self.filters.campaign_id is None:
            return None
        chosen = self.campaigns[self.campaigns["campaign_id"] == self.filters.campaign_id]
        if chosen.empty:
            return None
        name, kind = str(chosen["name"].iloc[0]), str(chosen["kind"].iloc[0])
        if kind == "joint":
            return (
                f"The solo comparison is dropped: you chose one joint campaign ({name}), and "
                "no solo campaign is part of it. Choose “All campaigns” to compare with your "
                "solo campaigns."
            )
        return (
            f"The joint side is dropped: you chose one solo campaign ({name}). Choose “All "
            "campaigns” to compare it with your joint campaigns."
        )


@reads_reports
@collector.paused
def dashboard(actor: Actor, period: Period, filters: Filters | None = None) -> Dashboard:
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    filters = filters or Filters()
    org = actor.organization_id
    scope = Scope(
        organization_id=org,
        start=period.start,
        end=period.end,
        partner_id=filters.partner_id,
        channel=filters.channel,
        campaign_id=filters.campaign_id,
    )
    # Campaigns and parties, metric cells, spend cells: one round trip (queries.report_frames).
    fetched = queries.report_frames(scope)
    campaigns, parties = fetched.campaigns, fetched.parties
    partners = frames.partners_of(campaigns, parties, org)
    columns = frames.own_cell_columns(fetched.metrics, fetched.spend, campaigns, parties, org)
    cells = grouping.to_frame(columns)
    if cells.empty:
        placements = people.with_people(frames.placements_of(cells), period, fetched.flights)
        comparisons = people.attach(frames.comparisons(placements), placements)
        by_channel = frames.breakdown(placements, "channel")
        by_partner = frames.by_partner(placements, partners)
        by_month = frames.breakdown(cells, "month")
    else:
        # The same steps on the columns as NumPy arrays (``grouping``): a few thousand rows,
        # where each pandas step would cost more in its fixed overhead than in its work.
        placed = coverage.placement_columns(columns, frames.PLACEMENT_KEYS)
        placed.update(people.people_columns(placed, period, fetched.flights))
        comparisons = people.attach_sides(frames.comparisons_of(placed), people.sides_of(placed))
        by_channel = frames.breakdown_of(placed, "channel")
        by_partner = frames.by_partner_of(placed, partners)
        by_month = frames.breakdown_of(columns, "month")
    return Dashboard(
        organization_id=org,
        period=period,
        filters=filters,
        comparisons=comparisons,
        by_channel=by_channel,
        by_partner=by_partner,
        by_month=by_month,
        campaigns=campaigns,
        partners=frames.partner_choices(partners),
        cells=cells,
        campaign_partners=partners,
    )


def chart_data(board: Dashboard) -> dict[str, Any]:
    """What the charts draw, per currency: joint vs solo bars by channel and by partner, and
    lines of reach per unit spent by month."""
    out: dict[str, Any] = {"currencies": []}
    for comparison in board.comparisons:
        currency = comparison.currency
        channel = board.by_channel[board.by_channel["currency"] == currency]
        month = board.by_month[board.by_month["currency"] == currency]
        partner = board.by_partner[board.by_partner["currency"] == currency]
        out["currencies"].append(
            {
                "currency": currency,
                "channels": _bars(channel, "channel"),
                "months": _bars(month, "month"),
                "partners": {
                    "labels": partner["partner"].tolist(),
                    "partner_ids": [int(v) for v in partner["partner_id"]],
                    "reach": [int(v) for v in partner["reach"]],
                    "spend_minor": [int(v) for v in partner["spend_minor"]],
                },
            }
        )
    return out


def _bars(table: pd.DataFrame, by: str) -> dict[str, Any]:
    labels = sorted(table[by].unique().tolist())
    series: dict[str, Any] = {"labels": labels}
    for kind in ("joint", "solo"):
        rows = table[table["kind"] == kind].set_index(by)
        series[kind] = {
            name: [int(rows[name].get(label, 0)) if label in rows.index else 0 for label in labels]
            for name in ("reach", "spend_minor", "revenue_minor", "impressions")
        }
        # Reach per unit spent over the placement-months that reported reach (coverage).
        for name, column in COVERED_REACH.items():
            series[kind][name] = [
                int(rows[column].get(label, 0)) if label in rows.index else 0 for label in labels
            ]
    return series
