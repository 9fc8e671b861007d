"""Reading campaigns: one campaign with its parties, placements and milestones, and the
filtered, paged list of the organization's campaigns."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.campaigns.access import get_visible_campaign, visible_campaigns
from comarketing.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignParty,
    CampaignStatus,
    Milestone,
    Placement,
)
from comarketing.context import Actor
from comarketing.db import page_and_total
from comarketing.extensions import db
from comarketing.policy import Action, authorize


@dataclass
class CampaignView:
    campaign: Campaign
    parties: list[tuple[Organization, CampaignParty]]
    placements: list[Placement]
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def party_names(self) -> dict[int, str]:
        return {org.id: org.name for org, _ in self.parties}

    def is_party(self, organization_id: int) -> bool:
        return any(org.id == organization_id for org, _ in self.parties)


@functools.cache
def _campaign_reads() -> tuple[
    sa.Select[Organization, CampaignParty], sa.Select[Placement], sa.Select[Milestone]
]:
    """A campaign's parties, placements and milestones: built once per process (SQLAlchemy
    builds a statement and its cache key anew each time the code writing it runs)."""
    campaign: sa.BindParameter[int] = sa.bindparam("campaign")
    return (
        sa.select(Organization, CampaignParty)
        .join(CampaignParty, CampaignParty.organization_id == Organization.id)
        .where(CampaignParty.campaign_id == campaign)
        .order_by(Organization.name),
        sa.select(Placement)
        .where(Placement.campaign_id == campaign)
        .order_by(Placement.start_date, Placement.id),
        sa.select(Milestone)
        .where(Milestone.campaign_id == campaign)
        .order_by(Milestone.due_on, Milestone.id),
    )


def get_campaign(actor: Actor, campaign_id: int, *, milestones: bool = True) -> CampaignView:
    """A campaign the actor's company is party to, with its parties and placements and, unless
    the caller shows none (``milestones=False``: the API's campaign and placement answers), its
    milestones."""
    return campaign_view(get_visible_campaign(actor, campaign_id), milestones=milestones)


def campaign_view(campaign: Campaign, *, milestones: bool = True) -> CampaignView:
    """``get_campaign`` of a campaign the caller already checked the actor may see."""
    parties_of, placements_of, milestones_of = _campaign_reads()
    this = {"campaign": campaign.id}
    parties = [
        (organization, party) for organization, party in db.session.execute(parties_of, this)
    ]
    placements = list(db.session.scalars(placements_of, this))
    due = list(db.session.scalars(milestones_of, this)) if milestones else []
    return CampaignView(campaign, parties, placements, due)


@dataclass
class CampaignFilters:
    kind: str | None = None
    status: str | None = None
    partner_id: int | None = None
    starts_after: date | None = None  # the campaign runs on or after this day
    ends_before: date | None = None  # the campaign runs on or before this day


@dataclass
class CampaignPage:
    campaigns: list[Campaign]
    partners: dict[int, list[str]]  # campaign id -> the other parties' names
    page: int
    has_more: bool
    total: int


def list_campaigns(
    actor: Actor, filters: CampaignFilters | None = None, *, page: int = 1, per_page: int = 25
) -> CampaignPage:
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    me = actor.organization_id
    query = _filtered(visible_campaigns(me), filters or CampaignFilters())
    page = max(page, 1)
    rows, total = page_and_total(
        db.session,
        query,
        (Campaign.start_date.desc(), Campaign.id.desc()),
        page=page,
        per_page=per_page,
    )
    names = _other_party_names([c.id for c in rows], me)
    return CampaignPage(rows, names, page, page * per_page < total, total)


def _filtered(query: sa.Select[Campaign], filters: CampaignFilters) -> sa.Select[Campaign]:
    if filters.kind in {k.value for k in CampaignKind}:
        query = query.where(Campaign.kind == filters.kind)
    if filters.status in {s.value for s in CampaignStatus}:
        query = query.where(Campaign.status == filters.status)
    if filters.partner_id:
        # Only joint campaigns with that partner: the partner's own solo campaigns are never
        # reachable, because the base query only holds campaigns this organization is part of.
        query = query.where(
            Campaign.id.in_(
                sa.select(CampaignParty.campaign_id).where(
                    CampaignParty.organization_id == filters.partner_id
                )
            )
        )
    if filters.starts_after:
        query = query.where(Campaign.end_date >= filters.starts_after)
    if filters.ends_before:
        query = query.where(Campaign.start_date <= filters.ends_before)
    return query


@functools.cache
def _other_parties() -> sa.Select[int, str]:
    return (
        sa.select(CampaignParty.campaign_id, Organization.name)
        .join(Organization, Organization.id == CampaignParty.organization_id)
        .where(
            CampaignParty.campaign_id.in_(sa.bindparam("ids", expanding=True)),
            CampaignParty.organization_id != sa.bindparam("me"),
        )
        .order_by(Organization.name)
    )


def _other_party_names(campaign_ids: list[int], me: int) -> dict[int, list[str]]:
    """Campaign id -> the names of its parties other than this organization, by name."""
    names: dict[int, list[str]] = {}
    if campaign_ids:
        rows = db.session.execute(_other_parties(), {"ids": campaign_ids, "me": me})
        for campaign_id, name in rows:
            names.setdefault(campaign_id, []).append(name)
    return names


def partner_choices(actor: Actor) -> list[Organization]:
    """Partners the organization has joint campaigns with (for the list filter)."""
    me = actor.organization_id
    mine = sa.select(CampaignParty.campaign_id).where(CampaignParty.organization_id == me)
    return list(
        db.session.scalars(
            sa.select(Organization)
            .where(
                Organization.id.in_(
                    sa.select(CampaignParty.organization_id).where(
                        CampaignParty.campaign_id.in_(mine), CampaignParty.organization_id != me
                    )
                )
            )
            .order_by(Organization.name)
        )
    )
