"""Milestones of a campaign: added by any party for any party, marked done once."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from comarketing.accounts.validation import clean_name
from comarketing.campaigns.access import audit_for_parties, get_visible_campaign, party_ids
from comarketing.campaigns.models import Milestone, MilestoneKind
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional


@transactional
def add_milestone(
    actor: Actor,
    campaign_id: int,
    *,
    kind: str,
    title: str,
    owner_organization_id: int,
    due_on: date | None,
) -> Milestone:
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    if kind not in {k.value for k in MilestoneKind}:
        raise ValidationFailed("Choose a kind from the list.", field="kind")
    title = (
        clean_name(title, field="title", label="Title", max_length=200, required=False)
        or MilestoneKind(kind).label
    )
    if owner_organization_id not in party_ids(campaign.id):
        raise ValidationFailed(
            "The owner must be a party of the campaign.", field="owner_organization_id"
        )
    if due_on is None:
        raise ValidationFailed("Give a due date.", field="due_on")
    milestone = Milestone(
        campaign_id=campaign.id,
        kind=kind,
        title=title,
        owner_organization_id=owner_organization_id,
        due_on=due_on,
    )
    db.session.add(milestone)
    db.session.flush()
    audit_for_parties("milestone.created", actor, campaign.id, milestone)
    db.session.commit()
    return milestone


@transactional
def complete_milestone(actor: Actor, campaign_id: int, milestone_id: int) -> Milestone:
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    milestone = db.session.scalar(
        sa.select(Milestone).where(
            Milestone.id == milestone_id, Milestone.campaign_id == campaign.id
        )
    )
    if milestone is None:
        raise NotFound()
    if milestone.done_at is None:
        milestone.done_at = utcnow()
        milestone.done_by_id = actor.user_id
        audit_for_parties("milestone.done", actor, campaign.id, milestone)
    db.session.commit()
    return milestone


def is_overdue(milestone: Milestone, today: date | None = None) -> bool:
    return milestone.done_at is None and milestone.due_on < (today or utcnow().date())
