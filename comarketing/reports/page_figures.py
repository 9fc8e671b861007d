"""What the Reach & ROI page and the home page's "last quarter" tiles show, computed once per
company, period, filters and data version (``campaigns.cache``), whoever of the company asks.

Authorization comes first, every time: a cached figure is only ever handed to someone the
policy lets read reports, and only their own company's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

from comarketing.campaigns import cache
from comarketing.campaigns.access import get_visible_campaign
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.policy import Action, authorize
from comarketing.reports import (
    campaign_charts,
    campaign_service,
    campaign_tables,
    chart_links,
    collector,
    dedup,
    headline,
    services,
    tables,
)
from comarketing.reports.campaign_frames import CampaignReport
from comarketing.reports.exports import Table


@dataclass(frozen=True)
class DashboardFigures:
    board: services.Dashboard
    headlines: list[headline.Headline]
    tables: dict[str, Table]
    chart_data: dict[str, Any]
    dedup: dedup.DedupFigures


def dashboard_figures(
    actor: Actor,
    period: services.Period,
    filters: services.Filters,
    campaign_url: Callable[[int], str],
) -> DashboardFigures:
    """The dashboard with its tiles, tables, charts and deduplicated reach. ``campaign_url``
    gives a campaign report's address (the same for everyone: part of the cached charts)."""
    authorize(actor.user, Action.VIEW_CAMPAIGNS)

    @collector.paused  # the tables and charts too (``reports.collector``)
    def compute() -> DashboardFigures:
        board = services.dashboard(actor, period, filters)
        deduplicated = dedup.dashboard_figures(actor, board)
        incremental = deduplicated.incremental if deduplicated.placements_with_audience else None
        return DashboardFigures(
            board=board,
            headlines=headline.for_board(board, incremental),
            tables=tables.all_tables(board),
            chart_data=chart_links.with_campaigns(
                services.chart_data(board),
                board.cells,
                board.campaigns,
                board.campaign_partners,
                campaign_url,
            ),
            dedup=deduplicated,
        )

    return cache.figures(actor.organization_id, "reports.dashboard", (period, filters), compute)


@dataclass(frozen=True)
class BoardHeadlines:
    board: services.Dashboard
    headlines: list[headline.Headline]


def board_headlines(actor: Actor, period: services.Period) -> BoardHeadlines:
    """The dashboard of a period, unfiltered, and its headline tiles (the home page's)."""
    authorize(actor.user, Action.VIEW_CAMPAIGNS)

    def compute() -> BoardHeadlines:
        board = services.dashboard(actor, period)
        return BoardHeadlines(board, headline.for_board(board))

    return cache.figures(actor.organization_id, "reports.headlines", period, compute)


@dataclass(frozen=True)
class CampaignFigures:
    report: CampaignReport
    tables: dict[str, Table]
    chart_data: dict[str, Any]


def campaign_figures(actor: Actor, campaign_id: int) -> CampaignFigures:
    """A campaign's report with its tables and charts. The campaign must be one of the actor's
    company's (else NotFound), checked before anything is read from the cache."""
    return campaign_page(actor, campaign_id).figures


class CampaignPage:
    """A campaign report page's figures, read as far as the page needs them: its charts' data
    (small) at once; the report and its tables (most of what is kept) only when a block of the
    page that shows them is not in the cache (``cache.fragments``)."""

    def __init__(self, actor: Actor, campaign: Campaign) -> None:
        self.campaign = campaign
        self._actor = actor
        self._arguments = (campaign.id, date.today())

    @cached_property
    def figures(self) -> CampaignFigures:
        actor, (campaign_id, today) = self._actor, self._arguments

        def compute() -> CampaignFigures:
            report = campaign_service.campaign_report(actor, campaign_id, today)
            return CampaignFigures(
                report=report,
                tables=campaign_tables.page_tables(report),
                chart_data=campaign_charts.chart_data(report),
            )

        return cache.figures(actor.organization_id, "reports.campaign", self._arguments, compute)

    @cached_property
    def chart_data(self) -> dict[str, Any]:
        return cache.figures(
            self._actor.organization_id,
            "reports.campaign-charts",
            self._arguments,
            lambda: self.figures.chart_data,
        )

    @property
    def report(self) -> CampaignReport:
        return self.figures.report

    @property
    def tables(self) -> dict[str, Table]:
        return self.figures.tables


def campaign_page(actor: Actor, campaign_id: int) -> CampaignPage:
    """The campaign report page of one of the actor's company's campaigns (else NotFound,
    checked before anything is read from the cache)."""
    return CampaignPage(actor, get_visible_campaign(actor, campaign_id))
