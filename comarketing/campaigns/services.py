"""Campaigns: joint ones come from approved offers; every query is scoped to the actor's
organization through the campaign's parties."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignParty,
    CampaignStatus,
    Placement,
)
from comarketing.context import Actor
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.policy import Action, authorize


@dataclass(frozen=True)
class PartyShare:
    organization_id: int
    budget_share_bp: int
    revenue_share_bp: int


@dataclass(frozen=True)
class PlannedPlacement:
    channel: str
    owner_organization_id: int
    name: str
    planned_cost_minor: int


def create_joint_campaign(
    *,
    offer_id: int,
    proposer_organization_id: int,
    created_by_id: int | None,
    name: str,
    description: str,
    start_date: date,
    end_date: date,
    currency: str,
    total_budget_minor: int,
    target_reach: int | None,
    target_leads: int | None,
    target_revenue_minor: int | None,
    parties: list[PartyShare],
    placements: list[PlannedPlacement],
) -> Campaign:
    """Create the campaign of an approved offer in the caller's transaction."""
    campaign = Campaign(
        kind=CampaignKind.JOINT.value,
        organization_id=proposer_organization_id,
        offer_id=offer_id,
        name=name,
        description=description,
        status=CampaignStatus.PLANNED.value,
        start_date=start_date,
        end_date=end_date,
        currency=currency,
        total_budget_minor=total_budget_minor,
        target_reach=target_reach,
        target_leads=target_leads,
        target_revenue_minor=target_revenue_minor,
        created_by_id=created_by_id,
    )
    db.session.add(campaign)
    db.session.flush()
    for party in parties:
        db.session.add(CampaignParty(campaign_id=campaign.id, **party.__dict__))
    for planned in placements:
        db.session.add(
            Placement(
                campaign_id=campaign.id,
                start_date=start_date,
                end_date=end_date,
                **planned.__dict__,
            )
        )
    db.session.flush()
    return campaign


def _visible_campaigns(organization_id: int) -> sa.Select[Campaign]:
    party = sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == organization_id
    )
    return sa.select(Campaign).where(
        sa.or_(
            Campaign.id.in_(party),
            sa.and_(
                Campaign.kind == CampaignKind.SOLO.value,
                Campaign.organization_id == organization_id,
            ),
        )
    )


@dataclass
class CampaignView:
    campaign: Campaign
    parties: list[tuple[Organization, CampaignParty]]
    placements: list[Placement]


def get_campaign(actor: Actor, campaign_id: int) -> CampaignView:
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    campaign = db.session.scalar(
        _visible_campaigns(actor.organization_id).where(Campaign.id == campaign_id)
    )
    if campaign is None:
        raise NotFound()
    parties = [
        (organization, party)
        for organization, party in db.session.execute(
            sa.select(Organization, CampaignParty)
            .join(CampaignParty, CampaignParty.organization_id == Organization.id)
            .where(CampaignParty.campaign_id == campaign.id)
            .order_by(Organization.name)
        )
    ]
    placements = list(
        db.session.scalars(
            sa.select(Placement).where(Placement.campaign_id == campaign.id).order_by(Placement.id)
        )
    )
    return CampaignView(campaign, parties, placements)


def list_campaigns(actor: Actor) -> list[Campaign]:
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    return list(
        db.session.scalars(
            _visible_campaigns(actor.organization_id).order_by(
                Campaign.start_date.desc(), Campaign.id.desc()
            )
        )
    )
