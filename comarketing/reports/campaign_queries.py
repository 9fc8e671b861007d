"""The campaign report's SQL: a fixed number of aggregate queries whatever the number of
placements or days -- its parties, its placements with their metric and spend sums, its daily
sums, its commitments and spend per day and the goals already reached. Commitments are net: a
reversal counts against the kind of entry it reverses. Spend is confirmed + pending claims by
service period (``budgets.spend``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from comarketing.accounts.models import Organization
from comarketing.budgets import spend
from comarketing.budgets.models import CountedSpend, EntryKind, LedgerEntry
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.extensions import db
from comarketing.metrics.models import (
    DAYS_FIELDS,
    VALUE_FIELDS,
    CampaignGoalEvent,
    DailyMetric,
    MetricRollup,
)
from comarketing.reports.campaign_frames import (
    TREND_COLUMNS,
    Party,
    PlacementFigures,
    empty_daily,
)
from comarketing.reports.campaign_frames import placement_figures as placement_figures_of
from comarketing.reports.campaign_pacing import Reporting


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


def placement_figures(campaign_id: int) -> list[PlacementFigures]:
    """Each placement with its owner, its spend (confirmed + pending claims), and its metric
    sums and ratios' coverage judged per placement-month: three queries (placements, their
    months in the rollup, their claims by service period) whatever the number of placements."""
    spent = spend.spend_by_placement(campaign_id)
    placements = pd.DataFrame(
        [
            tuple(row)
            for row in db.session.execute(
                sa.select(
                    Placement.id,
                    Placement.name,
                    Placement.channel,
                    Placement.owner_organization_id,
                    Organization.name,
                    sa.func.coalesce(spent.c.spend_minor, 0),
                    Placement.flight_reach,
                )
                .join(Organization, Organization.id == Placement.owner_organization_id)
                .outerjoin(spent, spent.c.placement_id == Placement.id)
                .where(Placement.campaign_id == campaign_id)
                .order_by(Placement.id)
            ).all()
        ],
        columns=[
            "placement_id",
            "name",
            "channel",
            "owner_id",
            "owner",
            "spend_minor",
            "flight_reach",
        ],
    )
    counts = [DAYS_FIELDS[f] for f in VALUE_FIELDS]
    months = pd.DataFrame(
        [
            tuple(row)
            for row in db.session.execute(
                sa.select(
                    MetricRollup.placement_id,
                    MetricRollup.month,
                    MetricRollup.days,
                    *(getattr(MetricRollup, f) for f in VALUE_FIELDS),
                    *(getattr(MetricRollup, c) for c in counts),
                ).where(MetricRollup.campaign_id == campaign_id)
            ).all()
        ],
        columns=["placement_id", "month", "days", *VALUE_FIELDS, *counts],
    )
    return placement_figures_of(placements, months, _spend_by_placement_month(campaign_id))


def _spend_by_placement_month(campaign_id: int) -> pd.DataFrame:
    """placement_id, month (its first day), spend_minor: each counted claim version (table
    ``counted_spend``) split by day over its service period (``budgets.spend``), summed per
    month."""
    rows = db.session.execute(
        sa.select(
            CountedSpend.placement_id,
            CountedSpend.service_from,
            CountedSpend.service_to,
            CountedSpend.amount_minor,
            sa.func.count(),
        )
        .where(CountedSpend.campaign_id == campaign_id)
        .group_by(
            CountedSpend.placement_id,
            CountedSpend.service_from,
            CountedSpend.service_to,
            CountedSpend.amount_minor,
        )
    ).all()
    out: dict[tuple[int, date], int] = {}
    for placement_id, start, end, amount, count in rows:
        first = start.replace(day=1)
        while first <= end:
            following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
            part = spend.portion(int(amount), start, end, first, following - timedelta(days=1))
            key = (int(placement_id), first)
            out[key] = out.get(key, 0) + part * int(count)
            first = following
    return pd.DataFrame(
        [(p, m, v) for (p, m), v in out.items()], columns=["placement_id", "month", "spend_minor"]
    )


def daily_sums(campaign: Campaign) -> pd.DataFrame:
    """One GROUP BY over the campaign's daily rows within its dates: per day the sums of the
    reported values, NA where nobody reported a figure that day."""
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
    frame = pd.DataFrame([tuple(row) for row in rows], columns=["day", *TREND_COLUMNS])
    for name in TREND_COLUMNS:
        # NA where no placement reported the figure that day: not reported, never 0.
        frame[name] = frame[name].astype("Int64")
    return frame


def ledger_days(campaign_id: int) -> pd.DataFrame:
    """Per day: day, committed_minor (net commitments; a reversal counts on the day of the
    entry it reverses) and spent_minor (confirmed + pending claims spread over their service
    periods, ``budgets.spend``)."""
    kind, signed, original = _signed_ledger()
    day = sa.func.coalesce(original.occurred_on, LedgerEntry.occurred_on).label("day")
    committed = db.session.execute(
        sa.select(day, _sum_of(kind, signed, EntryKind.COMMITMENT))
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(
            LedgerEntry.campaign_id == campaign_id,
            sa.or_(
                LedgerEntry.kind == EntryKind.COMMITMENT.value,
                original.kind == EntryKind.COMMITMENT.value,
            ),
        )
        .group_by(day)
    ).all()
    days: dict[Any, list[int]] = {d: [int(c), 0] for d, c in committed}
    for d, spent in spend.spend_by_day(campaign_id):
        days.setdefault(d, [0, 0])[1] += spent
    return pd.DataFrame(
        [(d, c, s) for d, (c, s) in sorted(days.items()) if c or s],
        columns=["day", "committed_minor", "spent_minor"],
    )


def parties(campaign_id: int) -> list[Party]:
    """The campaign's parties with their shares, by name."""
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


def goals_reached_at(campaign_id: int) -> dict[str, datetime]:
    """When each goal already reached was reached, by goal kind."""
    return {
        str(goal): at
        for goal, at in db.session.execute(
            sa.select(CampaignGoalEvent.goal, CampaignGoalEvent.reached_at).where(
                CampaignGoalEvent.campaign_id == campaign_id
            )
        ).all()
    }


PACED = ("reach", "leads", "revenue_minor")


def reporting_to(campaign: Campaign, as_of: date) -> dict[str, Reporting]:
    """Per paced figure (reach, leads, revenue): of the placements with daily rows from the
    start to ``as_of``, how many reported it on all / some of those days. One GROUP BY."""
    rows = db.session.execute(
        sa.select(
            sa.func.count(),
            *(sa.func.count(getattr(DailyMetric, f)) for f in PACED),
        )
        .where(
            DailyMetric.campaign_id == campaign.id,
            DailyMetric.day.between(campaign.start_date, min(campaign.end_date, as_of)),
        )
        .group_by(DailyMetric.placement_id)
    ).all()
    return {
        figure: Reporting(
            placements=len(rows),
            full=sum(1 for row in rows if row[i + 1] == row[0]),
            some=sum(1 for row in rows if row[i + 1] > 0),
        )
        for i, figure in enumerate(PACED)
    }
