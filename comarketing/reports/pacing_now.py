"""Goal pacing of many campaigns at once, for lists (the home page's campaigns): the same
``campaign_pacing.pacing`` the campaign report shows for one campaign, read in two queries
whatever the number of campaigns, placements or days.

To date means the campaign's days up to ``today`` (the reading company's today): the sums of
the reported daily values, and per figure how many placements reported it on all / some of
their days (``Reporting``: a figure nobody reported is "not reported", never 0).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

import sqlalchemy as sa

from comarketing.campaigns.models import Campaign
from comarketing.extensions import db
from comarketing.metrics.models import CampaignGoalEvent, DailyMetric
from comarketing.read_replica import reads_reports
from comarketing.reports.campaign_pacing import GoalPacing, Reporting, Timeline, pacing

PACED = ("reach", "leads", "revenue_minor")


@reads_reports
def pacing_of(campaigns: Sequence[Campaign], today: date) -> dict[int, list[GoalPacing]]:
    """Campaign id -> its goals' pacing on ``today``."""
    if not campaigns:
        return {}
    ids = [c.id for c in campaigns]
    values = [getattr(DailyMetric, f) for f in PACED]
    rows = db.session.execute(
        sa.select(
            DailyMetric.campaign_id,
            sa.func.count(),
            *(sa.func.count(v) for v in values),
            *(sa.func.sum(v) for v in values),
        )
        .join(Campaign, Campaign.id == DailyMetric.campaign_id)
        .where(
            DailyMetric.campaign_id.in_(ids),
            DailyMetric.day >= Campaign.start_date,
            DailyMetric.day <= Campaign.end_date,
            DailyMetric.day <= today,
        )
        .group_by(DailyMetric.campaign_id, DailyMetric.placement_id)
    ).all()
    # Campaign -> per placement: (days, days reporting each figure..., sum of each figure...).
    per_campaign: dict[int, list[tuple[int, ...]]] = defaultdict(list)
    for campaign_id, *counts in rows:
        per_campaign[int(campaign_id)].append(tuple(int(v or 0) for v in counts))
    reached: dict[int, dict[str, datetime]] = defaultdict(dict)
    for campaign_id, goal, at in db.session.execute(
        sa.select(
            CampaignGoalEvent.campaign_id, CampaignGoalEvent.goal, CampaignGoalEvent.reached_at
        ).where(CampaignGoalEvent.campaign_id.in_(ids))
    ):
        reached[int(campaign_id)][str(goal)] = at
    n = len(PACED)
    out = {}
    for campaign in campaigns:
        placements = per_campaign.get(campaign.id, [])
        totals = {
            figure: sum(row[1 + n + i] for row in placements) for i, figure in enumerate(PACED)
        }
        reporting = {
            figure: Reporting(
                placements=len(placements),
                full=sum(1 for row in placements if row[1 + i] == row[0]),
                some=sum(1 for row in placements if row[1 + i] > 0),
            )
            for i, figure in enumerate(PACED)
        }
        timeline = Timeline(campaign.start_date, campaign.end_date, today)
        out[campaign.id] = pacing(campaign, totals, timeline, reached.get(campaign.id), reporting)
    return out
