"""The campaign report (issue 6): goal pacing, daily and weekly trend, placements ranked by
cost per 1,000 reached and by cost per lead, the budget burn-down and the settlement.

``campaign_report`` runs a fixed number of queries whatever the number of placements or days
(the campaign, then :mod:`campaign_queries`, then the settlement's two) and assembles their
aggregates with the pure functions of :mod:`campaign_pacing` and :mod:`campaign_frames`.
"""

from __future__ import annotations

from datetime import date

from comarketing.budgets import balances
from comarketing.campaigns.access import get_visible_campaign
from comarketing.context import Actor
from comarketing.read_replica import reads_reports
from comarketing.reports import campaign_queries
from comarketing.reports.campaign_frames import CampaignReport, burn_down, totals_to, weekly
from comarketing.reports.campaign_pacing import Timeline, pacing


@reads_reports
def campaign_report(actor: Actor, campaign_id: int, today: date | None = None) -> CampaignReport:
    """The report of a campaign the actor's company is party to (others: NotFound)."""
    campaign = get_visible_campaign(actor, campaign_id)
    timeline = Timeline(campaign.start_date, campaign.end_date, today or date.today())
    daily = campaign_queries.daily_sums(campaign)
    ledger_days = campaign_queries.ledger_days(campaign.id)
    totals = totals_to(daily, timeline.as_of)
    return CampaignReport(
        campaign=campaign,
        timeline=timeline,
        parties=campaign_queries.parties(campaign.id),
        goals=pacing(
            campaign,
            totals,
            timeline,
            campaign_queries.goals_reached_at(campaign.id),
            campaign_queries.reporting_to(campaign, timeline.as_of),
        ),
        daily=daily,
        weekly=weekly(daily, ledger_days),
        placements=campaign_queries.placement_figures(campaign.id),
        burn=burn_down(ledger_days, timeline),
        settlement=balances.settlement(campaign.id),
        totals=totals,
    )
