"""Creating, editing and moving campaigns through their statuses.

Joint campaigns come from approved offers (created in the offer's transaction); solo ones
belong to one organization, which is their only party, and no partner ever sees them. A joint
campaign keeps the terms its parties agreed; only solo ones are edited. The status lifecycle is
one table of allowed steps:

    planned --activate--> active --complete--> completed
       |                    |
       +-----cancel---------+-----cancel-----> cancelled
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from comarketing import audit, dates_allowed, events
from comarketing.accounts.validation import clean_name
from comarketing.campaigns.access import get_visible_campaign, party_ids
from comarketing.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignParty,
    CampaignStatus,
    Placement,
)
from comarketing.context import Actor
from comarketing.errors import Forbidden, InvalidTransition, ValidationFailed
from comarketing.extensions import db
from comarketing.money import MAX_MINOR, check_currency
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

S = CampaignStatus

# The campaign lifecycle in one place: (state, step) -> new state.
TRANSITIONS: dict[tuple[CampaignStatus, str], CampaignStatus] = {
    (S.PLANNED, "activate"): S.ACTIVE,
    (S.PLANNED, "cancel"): S.CANCELLED,
    (S.ACTIVE, "complete"): S.COMPLETED,
    (S.ACTIVE, "cancel"): S.CANCELLED,
}
STEP_WORDS = {"activate": "started", "complete": "completed", "cancel": "cancelled"}


# ---------------------------------------------------------------------------------------------
# Joint campaigns (from offers)


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
    # The dates the offer planned for it; none: the campaign's dates.
    start_date: date | None = None
    end_date: date | None = None


def create_joint_campaign(
    *,
    offer_id: int | None,
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
                channel=planned.channel,
                owner_organization_id=planned.owner_organization_id,
                name=planned.name,
                planned_cost_minor=planned.planned_cost_minor,
                start_date=planned.start_date or start_date,
                end_date=planned.end_date or end_date,
            )
        )
    db.session.flush()
    events.raise_(
        "campaign.created",
        [p.organization_id for p in parties],
        **events.payloads.campaign(campaign),
    )
    return campaign


# ---------------------------------------------------------------------------------------------
# Solo campaigns


@dataclass
class CampaignInput:
    name: str
    description: str
    start_date: date | None
    end_date: date | None
    currency: str
    total_budget_minor: int = 0
    target_reach: int | None = None
    target_leads: int | None = None
    target_revenue_minor: int | None = None


def _clean_campaign(data: CampaignInput) -> dict[str, object]:
    name = clean_name(data.name, field="name", label="The campaign's name", max_length=200)
    if data.start_date is None:
        raise ValidationFailed("Start date is required.", field="start_date")
    if data.end_date is None:
        raise ValidationFailed("End date is required.", field="end_date")
    if data.end_date < data.start_date:
        raise ValidationFailed("The end date must be on or after the start date.", field="end_date")
    dates_allowed.check_period(data.start_date, data.end_date)
    for name_, value in (
        ("target_reach", data.target_reach),
        ("target_leads", data.target_leads),
        ("target_revenue", data.target_revenue_minor),
        ("total_budget", data.total_budget_minor),
    ):
        if value is not None and not 0 <= value <= MAX_MINOR:
            raise ValidationFailed("Enter a number of zero or more.", field=name_)
    return {
        "name": name,
        "description": (data.description or "").strip()[:5000],
        "start_date": data.start_date,
        "end_date": data.end_date,
        "currency": check_currency(data.currency),
        "total_budget_minor": data.total_budget_minor or 0,
        "target_reach": data.target_reach,
        "target_leads": data.target_leads,
        "target_revenue_minor": data.target_revenue_minor,
    }


@transactional
def create_solo_campaign(actor: Actor, data: CampaignInput) -> Campaign:
    """A campaign of the actor's organization alone; no partner ever sees it."""
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    values = _clean_campaign(data)
    campaign = Campaign(
        kind=CampaignKind.SOLO.value,
        organization_id=actor.organization_id,
        status=CampaignStatus.PLANNED.value,
        created_by_id=actor.user_id,
        **values,
    )
    db.session.add(campaign)
    db.session.flush()
    db.session.add(
        CampaignParty(
            campaign_id=campaign.id,
            organization_id=actor.organization_id,
            budget_share_bp=10_000,
            revenue_share_bp=10_000,
        )
    )
    audit.record("campaign.created", actor=actor, target=campaign, kind="solo")
    events.raise_("campaign.created", [actor.organization_id], **events.payloads.campaign(campaign))
    db.session.commit()
    return campaign


@transactional
def update_campaign(actor: Actor, campaign_id: int, data: CampaignInput) -> Campaign:
    """Edit a solo campaign's details. Joint campaigns keep the agreed terms of their offer."""
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    if campaign.kind != CampaignKind.SOLO.value:
        raise Forbidden("A joint campaign keeps the terms its parties approved.")
    values = _clean_campaign(data)
    if values["currency"] != campaign.currency and _has_ledger(campaign.id):
        raise ValidationFailed(
            "The currency cannot change once money was posted.", field="currency"
        )
    _check_placements_fit(campaign.id, values["start_date"], values["end_date"])  # type: ignore[arg-type]
    for key, value in values.items():
        setattr(campaign, key, value)
    audit.record("campaign.updated", actor=actor, target=campaign)
    db.session.commit()
    return campaign


# The budgets package sits to the right of campaigns: its table is named, not imported.
_LEDGER = sa.table("ledger_entries", sa.column("campaign_id"))


def _has_ledger(campaign_id: int) -> bool:
    return (
        db.session.scalar(sa.select(sa.exists().where(_LEDGER.c.campaign_id == campaign_id)))
        or False
    )


def _check_placements_fit(campaign_id: int, start: date, end: date) -> None:
    outside = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Placement)
        .where(
            Placement.campaign_id == campaign_id,
            sa.or_(Placement.start_date < start, Placement.end_date > end),
        )
    )
    if outside:
        raise ValidationFailed(
            "Some placements run outside these dates; change them first.", field="start_date"
        )


# ---------------------------------------------------------------------------------------------
# Status


@transactional
def change_status(actor: Actor, campaign_id: int, step: str) -> Campaign:
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    target = TRANSITIONS.get((S(campaign.status), step))
    if target is None:
        raise InvalidTransition(
            f"This campaign is {campaign.status}; it cannot be {STEP_WORDS.get(step, step)} now."
        )
    old = campaign.status
    campaign.status = target.value
    audit.record(
        "campaign.status_changed",
        actor=actor,
        target=campaign,
        organization_ids=party_ids(campaign.id),
        old=old,
        new=target.value,
    )
    events.raise_(
        f"campaign.{STEP_WORDS[step]}",
        party_ids(campaign.id),
        campaign_id=campaign.id,
        kind=campaign.kind,
        status=campaign.status,
    )
    db.session.commit()
    return campaign
