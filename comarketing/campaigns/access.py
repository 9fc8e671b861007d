"""Which campaigns an organization sees, and who a campaign's parties are.

Every campaign query starts here, from the actor's organization through the campaign's parties,
so another organization's campaign — solo or joint — is "not found", exactly like a missing one.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from comarketing import audit
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.context import Actor
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.policy import Action, authorize


def visible_campaigns(organization_id: int | sa.BindParameter[int]) -> sa.Select[Campaign]:
    """Campaigns the organization is a party to (its solo campaigns have it as only party)."""
    party = sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == organization_id
    )
    return sa.select(Campaign).where(Campaign.id.in_(party))


# Statements every campaign page and API call runs are built once per process (their cache
# keys with them): SQLAlchemy builds a statement anew each time the code writing it runs.


@functools.cache
def _visible_campaign(lock: bool) -> sa.Select[Campaign]:
    query = visible_campaigns(sa.bindparam("org")).where(Campaign.id == sa.bindparam("campaign"))
    return query.with_for_update() if lock else query


def get_visible_campaign(actor: Actor, campaign_id: int, *, lock: bool = False) -> Campaign:
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    campaign = db.session.scalar(
        _visible_campaign(lock), {"org": actor.organization_id, "campaign": campaign_id}
    )
    if campaign is None:
        raise NotFound()
    return campaign


@functools.cache
def _party_ids() -> sa.Select[int]:
    return sa.select(CampaignParty.organization_id).where(
        CampaignParty.campaign_id == sa.bindparam("campaign")
    )


def party_ids(campaign_id: int) -> list[int]:
    return sorted(db.session.scalars(_party_ids(), {"campaign": campaign_id}))


def audit_for_parties(
    action: str, actor: Actor, campaign_id: int, target: object, **details: Any
) -> None:
    """A change to a campaign's records shows in the audit log of every party."""
    audit.record(
        action,
        actor=actor,
        target=target,
        organization_ids=party_ids(campaign_id),
        campaign_id=campaign_id,
        **details,
    )
