"""Campaign work that waits on someone, for the home page: the milestones a company owns that
are due soon or overdue, and the campaigns running now or starting soon.

One query each, whatever the number of campaigns. Dates are the company's calendar days
(``timezones.company_today``): a milestone due on a day is overdue from the next day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.campaigns.access import visible_campaigns
from comarketing.campaigns.models import Campaign, CampaignParty, CampaignStatus, Milestone
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.policy import Action, can

MILESTONE_HORIZON_DAYS = 14
UPCOMING_DAYS = 30
OPEN = (CampaignStatus.PLANNED.value, CampaignStatus.ACTIVE.value)


@dataclass(frozen=True)
class MilestoneWait:
    milestone_id: int
    campaign_id: int
    campaign: str
    title: str
    kind: str
    due_on: date
    owner: str


def _milestones(actor: Actor, today: date, *where: sa.ColumnElement[bool]) -> list[MilestoneWait]:
    rows = db.session.execute(
        sa.select(
            Milestone.id,
            Milestone.campaign_id,
            Campaign.name,
            Milestone.title,
            Milestone.kind,
            Milestone.due_on,
            Organization.name,
        )
        .join(Campaign, Campaign.id == Milestone.campaign_id)
        .join(Organization, Organization.id == Milestone.owner_organization_id)
        .where(
            Milestone.campaign_id.in_(
                visible_campaigns(actor.organization_id).with_only_columns(Campaign.id)
            ),
            Campaign.status.in_(OPEN),
            Milestone.done_at.is_(None),
            Milestone.due_on <= today + timedelta(days=MILESTONE_HORIZON_DAYS),
            *where,
        )
        .order_by(Milestone.due_on, Milestone.id)
    ).all()
    return [
        MilestoneWait(int(i), int(c), name, title, kind, due, owner)
        for i, c, name, title, kind, due, owner in rows
    ]


def milestones_due(actor: Actor, today: date) -> list[MilestoneWait]:
    """Open milestones the actor's company owns, overdue or due within two weeks, for those
    who run campaigns (they mark them done)."""
    if not can(actor.user, Action.MANAGE_CAMPAIGNS):
        return []
    return _milestones(actor, today, Milestone.owner_organization_id == actor.organization_id)


def partner_milestones_due(actor: Actor, today: date) -> list[MilestoneWait]:
    """Open milestones of the company's joint campaigns that a partner owns, due soon."""
    return _milestones(actor, today, Milestone.owner_organization_id != actor.organization_id)


@dataclass(frozen=True)
class CampaignNow:
    campaign: Campaign
    partners: dict[int, str]  # the other parties, by name


def current(actor: Actor, today: date, limit: int = 25) -> tuple[list[CampaignNow], int]:
    """Planned or active campaigns running today or starting within 30 days, those ending
    soonest first (at most ``limit``), and how many there are in all. Two queries."""
    query = visible_campaigns(actor.organization_id).where(
        Campaign.status.in_(OPEN),
        Campaign.end_date >= today,
        Campaign.start_date <= today + timedelta(days=UPCOMING_DAYS),
    )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    ids = (
        query.with_only_columns(Campaign.id)
        .order_by(Campaign.start_date > today, Campaign.end_date, Campaign.start_date, Campaign.id)
        .limit(limit)
        .subquery()
    )
    campaigns: dict[int, Campaign] = {}
    partners: dict[int, dict[int, str]] = {}
    rows = db.session.execute(
        sa.select(Campaign, Organization.id, Organization.name)
        .join(ids, ids.c.id == Campaign.id)
        .outerjoin(
            CampaignParty,
            sa.and_(
                CampaignParty.campaign_id == Campaign.id,
                CampaignParty.organization_id != actor.organization_id,
            ),
        )
        .outerjoin(Organization, Organization.id == CampaignParty.organization_id)
        .order_by(Organization.name)
    ).all()
    for campaign, org_id, name in rows:
        campaigns[campaign.id] = campaign
        if org_id is not None:
            partners.setdefault(campaign.id, {})[int(org_id)] = name
    ordered = sorted(
        campaigns.values(), key=lambda c: (c.start_date > today, c.end_date, c.start_date, c.id)
    )
    return [CampaignNow(c, partners.get(c.id, {})) for c in ordered], int(total)
