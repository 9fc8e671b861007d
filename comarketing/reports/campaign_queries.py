"""The campaign report's SQL: a fixed number of aggregate queries whatever the number of
placements or days -- its parties, its placements with their metric and spend sums, its daily
sums, its commitments and spend per day and the goals already reached. Commitments are net: a
reversal counts against the kind of entry it reverses. Spend is confirmed + pending claims by
service period (``budgets.spend``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.orm import aliased

from comarketing.accounts.models import Organization
from comarketing.budgets import spend
from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.extensions import db
from comarketing.metrics.models import CampaignGoalEvent, DailyMetric, MetricRollup
from comarketing.reports.campaign_frames import (
    TREND_COLUMNS,
    Party,
    PlacementFigures,
    empty_daily,
)


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
    """Each placement with its owner, its metric sums and its spend (confirmed + pending
    claims)."""
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
    spent = spend.spend_by_placement(campaign_id)
    rows = db.session.execute(
        sa.select(
            Placement.id,
            Placement.name,
            Placement.channel,
            Placement.owner_organization_id,
            Organization.name,
            spent.c.spend_minor,
            *(metric_sums.c[f] for f in figures),
        )
        .join(Organization, Organization.id == Placement.owner_organization_id)
        .outerjoin(metric_sums, metric_sums.c.placement_id == Placement.id)
        .outerjoin(spent, spent.c.placement_id == Placement.id)
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
            spend_minor=int(spend_minor or 0),
            impressions=int(impressions or 0),
            reach=int(reach or 0),
            clicks=int(clicks or 0),
            leads=int(leads or 0),
        )
        for pid, name, channel, owner_id, owner, spend_minor, impressions, reach, clicks, leads in (
            rows
        )
    ]


def daily_sums(campaign: Campaign) -> pd.DataFrame:
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
