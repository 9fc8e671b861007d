"""Reviewing an offer: each party's decision on the current revision, and the approval rule.

A revision is approved once every party approved it through its own approvers or admins (who
counts, and when a party's approval is complete, is ``approvals.py``: a partner manager's
proposal waits for their own company's approvers, four eyes asks for a second one); that
closes the offer, creates the joint campaign and records each party's budget commitment, all
in the same transaction. A rejection closes the offer; a request for changes leaves it open for
the next revision (``proposals.revise``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from comarketing import audit, events, signals
from comarketing.budgets.commitments import record_commitments
from comarketing.campaigns.lifecycle import PartyShare, PlannedPlacement, create_joint_campaign
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Conflict, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.money import format_money, split_by_shares
from comarketing.offers import approvals, workflow
from comarketing.offers.access import current_revision, load, offer_party_ids
from comarketing.offers.models import (
    Decision,
    Offer,
    OfferDecision,
    OfferRevision,
    OfferStatus,
    role_label,
)
from comarketing.offers.records import EVERYONE, add_event, committing, notify, touch
from comarketing.offers.terms import MAX_COMMENT, clean_text
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

STEP_FOR = {
    Decision.APPROVED: "approve",
    Decision.CHANGES_REQUESTED: "request_changes",
    Decision.REJECTED: "reject",
}


@transactional
def decide(
    actor: Actor, offer_id: int, *, revision_number: int, decision: str, comment: str = ""
) -> OfferDecision:
    authorize(actor.user, Action.DECIDE_OFFER)
    offer = load(actor, offer_id, lock=True)
    choice, comment = _checked_decision(decision, comment)
    workflow.next_status(offer.status, STEP_FOR[choice])
    parties = offer_party_ids(offer.id)
    revision = _revision_to_decide(actor, offer, revision_number, parties)
    touch(offer, STEP_FOR[choice])
    record = OfferDecision(
        offer_id=offer.id,
        revision_id=revision.id,
        organization_id=actor.organization_id,
        user_id=actor.user_id,
        decision=choice.value,
        comment=comment,
        decider_role=actor.user.role,
    )
    db.session.add(record)
    db.session.flush()
    _announce_decision(offer, revision, actor, choice, comment, parties)
    if choice == Decision.REJECTED:
        offer.closed_at = utcnow()
    elif choice == Decision.APPROVED and _everyone_approved(revision, parties):
        _approve(offer, revision, parties, actor)
    with committing():
        pass
    return record


def _checked_decision(decision: str, comment: str) -> tuple[Decision, str]:
    """The decision and its cleaned comment; anything but an approval must say why."""
    try:
        choice = Decision(decision)
    except ValueError as exc:
        raise ValidationFailed(
            "Choose approve, request changes or reject.", field="decision"
        ) from exc
    comment = clean_text(comment, field_name="comment", label="Comment", max_length=MAX_COMMENT)
    if choice != Decision.APPROVED and not comment:
        raise ValidationFailed(
            "Say what should change."
            if choice == Decision.CHANGES_REQUESTED
            else "Give a reason for rejecting.",
            field="comment",
        )
    return choice, comment


def _revision_to_decide(
    actor: Actor, offer: Offer, revision_number: int, parties: Sequence[int]
) -> OfferRevision:
    """The current revision, if it is the one the actor reviewed and theirs to decide, once."""
    if revision_number != offer.current_revision_number:
        raise Conflict(
            f"Revision {revision_number} is no longer current; revision "
            f"{offer.current_revision_number} replaced it. Review that one."
        )
    revision = current_revision(offer)
    state = approvals.approvals_on(revision, parties)[actor.organization_id]
    approvals.check_may_decide(actor, revision, state)
    return revision


def _announce_decision(
    offer: Offer,
    revision: OfferRevision,
    actor: Actor,
    choice: Decision,
    comment: str,
    parties: Sequence[int],
) -> None:
    """The decision on the timeline, in the audit log, and mailed to the other parties."""
    me = actor.user.organization.name
    role = role_label(actor.user.role)
    add_event(
        offer,
        actor,
        choice.value,
        f"{me}: {choice.label} by {actor.user.name} ({role})"
        + (f" \u2014 {comment}" if comment else ""),
        revision.number,
    )
    audit.record(
        f"offer.{choice.value}",
        actor=actor,
        organization_ids=parties,
        target=offer,
        revision=revision.number,
    )
    events.raise_(
        "offer.decided",
        parties,
        offer_id=offer.id,
        revision=revision.number,
        organization_id=actor.organization_id,
        decision=choice.value,
        comment=comment,
    )
    # The author's own company hears of its approvers' answer too (its proposal awaited it).
    told = [
        p for p in parties if p != actor.organization_id or p == revision.author_organization_id
    ]
    notify(
        offer,
        kind="offer_decision",
        title=f"{me}: {choice.label.lower()} \u2014 {revision.title}",
        text=f"{actor.user.name} ({role}) of {me} decided on revision {revision.number} of "
        f"\u201c{revision.title}\u201d: {choice.label.lower()}."
        + (f"\n\nComment:\n{comment}" if comment else ""),
        organization_ids=told,
        roles=EVERYONE,
        exclude_user_id=actor.user_id,
    )


def _everyone_approved(revision: OfferRevision, parties: Sequence[int]) -> bool:
    return all(state.approved for state in approvals.approvals_on(revision, parties).values())


def _approve(offer: Offer, revision: OfferRevision, parties: Sequence[int], actor: Actor) -> None:
    """Every party approved: close the offer, start the joint campaign, commit the budgets."""
    offer.status = OfferStatus.APPROVED.value
    offer.closed_at = utcnow()
    campaign = _create_campaign(offer, revision, actor)
    # In this transaction: what was prepared on the offer (draft materials) joins the campaign.
    signals.joint_campaign_created.send(actor, offer_id=offer.id, campaign_id=campaign.id)
    commitments = split_by_shares(
        revision.total_budget_minor,
        {t["organization_id"]: t["budget_share_bp"] for t in revision.party_terms},
    )
    record_commitments(
        campaign_id=campaign.id,
        currency=revision.currency,
        amounts=commitments,
        # Agreed by every party, not posted by the last approver: no single author.
        created_by_id=None,
        note=f"Agreed share of offer #{offer.id}, revision {revision.number}",
    )
    add_event(
        offer,
        actor,
        "approved_by_all",
        f"Approved by every party; campaign \u201c{campaign.name}\u201d created",
        revision.number,
    )
    audit.record(
        "offer.approved_by_all",
        actor=actor,
        organization_ids=parties,
        target=offer,
        campaign_id=campaign.id,
    )
    events.raise_(
        "offer.approved",
        parties,
        offer_id=offer.id,
        revision=revision.number,
        campaign_id=campaign.id,
    )
    notify(
        offer,
        kind="offer_approved",
        title=f"Approved by all: {revision.title}",
        text=f"Every party approved \u201c{revision.title}\u201d (revision {revision.number})."
        f" The joint campaign is ready: {absolute_url('campaigns.detail', campaign_id=campaign.id)}"
        f"\nBudget commitments: "
        + ", ".join(
            format_money(amount, revision.currency) for _, amount in sorted(commitments.items())
        ),
        organization_ids=parties,
        roles=EVERYONE,
        exclude_user_id=None,
    )


def _create_campaign(offer: Offer, revision: OfferRevision, actor: Actor) -> Campaign:
    """The joint campaign on the approved revision's terms."""
    return create_joint_campaign(
        offer_id=offer.id,
        proposer_organization_id=offer.proposer_organization_id,
        created_by_id=actor.user_id,
        name=revision.title,
        description=revision.value_proposition,
        start_date=revision.start_date,
        end_date=revision.end_date,
        currency=revision.currency,
        total_budget_minor=revision.total_budget_minor,
        target_reach=revision.target_reach,
        target_leads=revision.target_leads,
        target_revenue_minor=revision.target_revenue_minor,
        parties=[
            PartyShare(t["organization_id"], t["budget_share_bp"], t["revenue_share_bp"])
            for t in revision.party_terms
        ],
        placements=[
            PlannedPlacement(
                p["channel"],
                p["owner_organization_id"],
                p["name"],
                p["planned_cost_minor"],
                date.fromisoformat(p["start_date"]) if p.get("start_date") else None,
                date.fromisoformat(p["end_date"]) if p.get("end_date") else None,
            )
            for p in revision.placements
        ],
    )
