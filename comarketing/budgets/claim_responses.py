"""Expense claims, the other parties' side: confirm or dispute (with a reason) the current
version of a partner's claim, for your company; and the deadlines run (``flask
send-reminders``), which writes an 'auto_confirmed' answer for every silent party once a
version's confirmation window passed with nobody disputing.

Every answer locks the campaign row first (the order every claim and payment write takes), and
one party answers a version once (unique per version and party): two people answering at the
same time give one answer and a 409 for the other, never a lost update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from comarketing import audit, events
from comarketing.accounts import company_settings
from comarketing.accounts.models import Organization
from comarketing.budgets import claim_notices
from comarketing.budgets.claim_states import ClaimStatus, claim_status
from comarketing.budgets.claim_workflow import ClaimState, next_claim_state
from comarketing.budgets.models import Claim, ClaimResponse, ClaimVersion, LedgerEntry
from comarketing.budgets.posting import clean_note
from comarketing.campaigns.access import get_visible_campaign, party_ids
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Conflict, Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional


@transactional
def confirm_claim(
    actor: Actor, campaign_id: int, claim_id: int, *, version_number: int | None = None
) -> ClaimStatus:
    """Your company confirms the claim's current version."""
    return _answer(actor, campaign_id, claim_id, "confirm", "", version_number)


@transactional
def dispute_claim(
    actor: Actor,
    campaign_id: int,
    claim_id: int,
    *,
    reason: str,
    version_number: int | None = None,
) -> ClaimStatus:
    """Your company disputes the claim's current version; it counts for nobody's settlement
    until its author revises or withdraws it."""
    return _answer(actor, campaign_id, claim_id, "dispute", reason, version_number)


def _answer(
    actor: Actor,
    campaign_id: int,
    claim_id: int,
    step: str,
    reason: str,
    version_number: int | None,
) -> ClaimStatus:
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    status = claim_status(campaign.id, claim_id)
    if status is None:
        raise NotFound()
    authorize(actor.user, Action.CONFIRM_MONEY)
    reason = clean_note(reason)
    if step == "dispute" and not reason:
        raise ValidationFailed("Say why you dispute this claim.", field="reason")
    me = actor.organization_id
    if me == status.claim.organization_id:
        raise Forbidden("Your company made this claim; the other parties confirm it.")
    if version_number is not None and version_number != status.version.number:
        raise Conflict(
            f"The claim was revised: version {status.version.number} is the current one."
        )
    if me in status.answers:
        raise Conflict("Your company has already answered this version of the claim.")
    next_claim_state(status.state, step)
    kind = "confirmed" if step == "confirm" else "disputed"
    response = ClaimResponse(
        claim_version_id=status.version.id,
        organization_id=me,
        user_id=actor.user_id,
        kind=kind,
        reason=reason,
    )
    db.session.add(response)
    db.session.flush()
    audit.record(
        f"claim.{kind}",
        actor=actor,
        organization_ids=party_ids(campaign.id),
        target=status.claim,
        campaign_id=campaign.id,
        version=status.version.number,
        reason=reason or None,
    )
    subject = {"claim_id": claim_id, "campaign_id": campaign.id, "version": status.version.number}
    if kind == "disputed":
        events.raise_(
            "claim.disputed", party_ids(campaign.id), **subject, organization_id=me, reason=reason
        )
        claim_notices.claim_disputed(campaign, status.claim, status.version, reason)
    else:
        events.raise_(
            "claim.confirmed",
            party_ids(campaign.id),
            **subject,
            confirmed_by_organization_ids=[me],
            automatic=False,
        )
    db.session.commit()
    found = claim_status(campaign.id, claim_id)
    assert found is not None
    return found


@transactional
def set_confirmation_days(actor: Actor, days: int) -> Organization:
    """How many business days the actor's company takes to answer a partner's claim."""
    return company_settings.set_business_days(
        actor,
        "claim_confirmation_business_days",
        days,
        field="claim_days",
        event="organization.claim_days_changed",
    )


# ---------------------------------------------------------------------------------------------
# The deadlines run


@dataclass
class ClaimRun:
    """How many claims one run confirmed because their window passed."""

    auto_confirmed: int = 0


@transactional
def run_claim_deadlines(now: datetime | None = None) -> ClaimRun:
    """Confirm, for every silent party, each current claim version whose window passed with
    nobody disputing. Each claim is re-read under its campaign's lock, so an answer given
    meanwhile wins and nothing is written twice."""
    now = now or utcnow()
    result = ClaimRun()
    for campaign_id, claim_id in _due_claims(now):
        campaign = db.session.scalar(
            sa.select(Campaign).where(Campaign.id == campaign_id).with_for_update()
        )
        status = claim_status(campaign_id, claim_id) if campaign else None
        if campaign is None or status is None or status.state is not ClaimState.PENDING:
            continue
        due = status.version.confirm_due_at
        if due is None or due > now:
            continue
        silent = status.waiting_for
        db.session.add_all(
            ClaimResponse(
                claim_version_id=status.version.id,
                organization_id=org,
                kind="auto_confirmed",
                reason="",
                created_at=now,
            )
            for org in silent
        )
        audit.record(
            "claim.auto_confirmed",
            organization_ids=party_ids(campaign_id),
            target=status.claim,
            campaign_id=campaign_id,
            version=status.version.number,
            parties=silent,
        )
        claim_notices.claim_auto_confirmed(campaign, status.claim, status.version, silent)
        events.raise_(
            "claim.confirmed",
            party_ids(campaign_id),
            claim_id=claim_id,
            campaign_id=campaign_id,
            version=status.version.number,
            confirmed_by_organization_ids=silent,
            automatic=True,
        )
        result.auto_confirmed += 1
        db.session.commit()
    db.session.commit()
    return result


def _due_claims(now: datetime) -> list[tuple[int, int]]:
    """(campaign, claim) of versions past their window that are still open: not reversed (so
    the latest of their claim), not disputed, some party not answered yet."""
    answered = (
        sa.select(sa.func.count())
        .where(ClaimResponse.claim_version_id == ClaimVersion.id)
        .correlate(ClaimVersion)
        .scalar_subquery()
    )
    parties = (
        sa.select(sa.func.count())
        .where(CampaignParty.campaign_id == Claim.campaign_id)
        .correlate(Claim)
        .scalar_subquery()
    )
    reversed_entries = sa.select(LedgerEntry.reverses_id).where(
        LedgerEntry.reverses_id.is_not(None)
    )
    disputed = sa.select(ClaimResponse.claim_version_id).where(ClaimResponse.kind == "disputed")
    rows = db.session.execute(
        sa.select(Claim.campaign_id, Claim.id)
        .join(ClaimVersion, ClaimVersion.claim_id == Claim.id)
        .where(
            ClaimVersion.confirm_due_at <= now,
            ClaimVersion.ledger_entry_id.not_in(reversed_entries),
            ClaimVersion.id.not_in(disputed),
            answered < parties - 1,
        )
        .distinct()
        .order_by(Claim.campaign_id, Claim.id)
    ).all()
    return [(int(c), int(i)) for c, i in rows]
