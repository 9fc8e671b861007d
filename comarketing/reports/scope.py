"""What a report covers: the organization, the period and the filters, and the campaigns that
makes (``scoped_ids``), with the calendar helpers its statements share. Every report query
starts from these (``reports.queries``, ``reports.spend_cells``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa

from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.reports.sql import among


@dataclass(frozen=True)
class Scope:
    organization_id: int
    start: date
    end: date
    partner_id: int | None = None
    channel: str | None = None
    campaign_id: int | None = None


def scoped_campaigns(scope: Scope) -> sa.Select[int]:
    """Ids of the campaigns in the report: the organization is a party; the partner filter
    keeps joint campaigns with that partner (solo campaigns stay, as the comparison)."""
    return scoped_ids(Filters.of(scope)).params(scope_values(scope))


@dataclass(frozen=True)
class Filters:
    """Which filters a scope sets: the shape of its statements, built once per shape with
    bound parameters (building a statement costs more than running it at report sizes)."""

    partner: bool
    channel: bool
    campaign: bool

    @classmethod
    def of(cls, scope: Scope) -> Filters:
        return cls(scope.partner_id is not None, bool(scope.channel), scope.campaign_id is not None)


def scope_values(scope: Scope) -> dict[str, Any]:
    """The bound parameters of a scope's statements."""
    return {
        "org": scope.organization_id,
        "partner": scope.partner_id,
        "channel": scope.channel,
        "campaign": scope.campaign_id,
        "start": scope.start,
        "end": scope.end,
    }


@cache
def scoped_ids(filters: Filters) -> sa.Select[int]:
    # Read from the organization's party rows alone (an index search), joining the campaigns
    # only when the partner filter needs their kind.
    query = sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == sa.bindparam("org")
    )
    if filters.partner:
        with_partner = sa.select(CampaignParty.campaign_id).where(
            CampaignParty.organization_id == sa.bindparam("partner")
        )
        query = query.join(Campaign, Campaign.id == CampaignParty.campaign_id).where(
            sa.or_(Campaign.kind == "solo", CampaignParty.campaign_id.in_(with_partner))
        )
    if filters.campaign:
        query = query.where(CampaignParty.campaign_id == sa.bindparam("campaign"))
    return query


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def whole_months(start: date, end: date) -> tuple[date, date] | None:
    """First days of the first and last month lying wholly inside [start, end], if any."""
    first = start if start.day == 1 else next_month(start)
    last_whole_end = next_month(end) - timedelta(days=1) == end
    last = month_start(end) if last_whole_end else month_start(month_start(end) - timedelta(1))
    return (first, last) if first <= last else None


def month_end(day: date) -> date:
    return next_month(day) - timedelta(days=1)


@cache
def channels_statement(filters: Filters, postgresql: bool) -> sa.Select[int, str]:
    """The scope's placements and their channels (PostgreSQL reads them apart from the
    figures: ``reports.sql.among``)."""
    statement = sa.select(Placement.id, Placement.channel).where(
        among(Placement.campaign_id, scoped_ids(filters), postgresql)
    )
    if filters.channel:
        statement = statement.where(Placement.channel == sa.bindparam("channel"))
    return statement
