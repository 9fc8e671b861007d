"""Expense claims, the author's side: claim what your company paid for a placement and a
service period (with proof), revise it (a new version: the old entry is reversed, a new one
posted, answers start over) or withdraw it (a reversal). Confirming and disputing belong to
``claim_responses``; the steps allowed from each state to ``claim_workflow``.

Every write locks the campaign row first, so concurrent claims are checked one after another
and claimed spend (pending + confirmed) never passes the commitments, unless an admin
overrides with a written reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

import sqlalchemy as sa

from comarketing import events
from comarketing.accounts import work_days
from comarketing.budgets import claim_notices
from comarketing.budgets.alerts import announce_spend_level
from comarketing.budgets.balances import campaign_totals
from comarketing.budgets.claim_states import ClaimStatus, claim_status
from comarketing.budgets.claim_workflow import next_claim_state
from comarketing.budgets.models import Claim, ClaimProof, ClaimVersion, EntryKind, LedgerEntry
from comarketing.budgets.posting import (
    OverBudget,
    append_entry,
    check_amount,
    check_currency,
    check_money_date,
    check_posting,
    clean_note,
)
from comarketing.budgets.proofs import ProofUpload, StoredProof, removed_if_refused, store_proofs
from comarketing.budgets.reversals import append_reversal
from comarketing.campaigns.access import get_visible_campaign, party_ids
from comarketing.campaigns.models import Campaign, Placement
from comarketing.context import Actor
from comarketing.dates_format import format_date
from comarketing.db import utcnow
from comarketing.errors import NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.money import format_money
from comarketing.policy import Action, can
from comarketing.unit_of_work import transactional


@dataclass(frozen=True)
class ClaimTerms:
    """What one version of a claim says."""

    amount_minor: int
    service_from: date
    service_to: date
    paid_on: date
    note: str = ""


@transactional
@removed_if_refused
def create_claim(
    actor: Actor,
    campaign_id: int,
    *,
    organization_id: int,
    placement_id: int,
    terms: ClaimTerms,
    proofs: Sequence[ProofUpload] = (),
    currency: str | None = None,
    override_reason: str | None = None,
    source: str = "manual",
) -> ClaimStatus:
    """Claim an expense ``organization_id`` paid; pending until the other parties confirm it
    (confirmed at once on a solo campaign)."""
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    reason = check_posting(actor, campaign, organization_id, override_reason)
    check_currency(campaign, currency)
    terms = _checked_terms(actor, campaign, terms)
    placement = db.session.scalar(
        sa.select(Placement).where(
            Placement.id == placement_id, Placement.campaign_id == campaign.id
        )
    )
    if placement is None:
        raise ValidationFailed("Choose a placement of this campaign.", field="placement_id")
    stored = store_proofs(proofs)
    totals = campaign_totals(campaign.id)
    spent_after = totals.spent_minor + terms.amount_minor
    over = _guard(actor, campaign, totals.committed_minor, spent_after, reason)
    claim = Claim(
        campaign_id=campaign.id,
        organization_id=organization_id,
        placement_id=placement.id,
        source=source,
        created_by_id=actor.user_id,
    )
    db.session.add(claim)
    db.session.flush()
    version = _post_version(actor, campaign, claim, 1, terms, stored, reason, over)
    announce_spend_level(campaign, totals.committed_minor, spent_after)
    db.session.commit()
    return _status(campaign, claim, version)


@transactional
@removed_if_refused
def revise_claim(
    actor: Actor,
    campaign_id: int,
    claim_id: int,
    *,
    amount_minor: int | None = None,
    service_from: date | None = None,
    service_to: date | None = None,
    paid_on: date | None = None,
    note: str | None = None,
    proofs: Sequence[ProofUpload] = (),
    override_reason: str | None = None,
) -> ClaimStatus:
    """A new version with a new amount, new proof or other terms (what is not given stays);
    the previous version's entry is reversed, a new one posted, and answers start over."""
    campaign, status = _load(actor, campaign_id, claim_id)
    next_claim_state(status.state, "revise")
    reason = check_posting(actor, campaign, status.claim.organization_id, override_reason)
    old = status.version
    terms = ClaimTerms(old.amount_minor, old.service_from, old.service_to, old.paid_on, old.note)
    changed = ClaimTerms(
        amount_minor if amount_minor is not None else old.amount_minor,
        service_from or old.service_from,
        service_to or old.service_to,
        paid_on or old.paid_on,
        note if note is not None else old.note,
    )
    if changed == terms and not proofs:
        raise ValidationFailed(
            "Nothing changed: give a new amount, new proof or other terms.", field="amount"
        )
    changed = _checked_terms(actor, campaign, changed)
    stored = [StoredProof(p.sha256, p.filename, p.content_type, p.size) for p in status.proofs]
    stored += store_proofs(proofs)
    totals = campaign_totals(campaign.id)
    spent_after = (
        totals.spent_minor - (old.amount_minor if status.counts_as_spend else 0)
    ) + changed.amount_minor
    over = _guard(actor, campaign, totals.committed_minor, spent_after, reason)
    append_reversal(
        actor,
        campaign,
        _entry(old),
        note=f"Claim revised (version {old.number + 1})",
        override_reason=reason,
    )
    version = _post_version(
        actor, campaign, status.claim, old.number + 1, changed, stored, reason, over
    )
    announce_spend_level(campaign, totals.committed_minor, spent_after)
    db.session.commit()
    return _status(campaign, status.claim, version)


@transactional
def withdraw_claim(
    actor: Actor,
    campaign_id: int,
    claim_id: int,
    *,
    reason: str = "",
    override_reason: str | None = None,
) -> ClaimStatus:
    """Withdraw a claim: its current entry is reversed; it counts for nothing from then on."""
    campaign, status = _load(actor, campaign_id, claim_id)
    next_claim_state(status.state, "withdraw")
    posted_reason = check_posting(actor, campaign, status.claim.organization_id, override_reason)
    why = clean_note(reason) or "Claim withdrawn"
    append_reversal(
        actor, campaign, _entry(status.version), note=why, override_reason=posted_reason
    )
    events.raise_(
        "claim.withdrawn",
        party_ids(campaign.id),
        claim_id=claim_id,
        campaign_id=campaign.id,
        version=status.version.number,
        organization_id=status.claim.organization_id,
    )
    db.session.commit()
    return _status(campaign, status.claim, status.version)


# ---------------------------------------------------------------------------------------------


def _load(actor: Actor, campaign_id: int, claim_id: int) -> tuple[Campaign, ClaimStatus]:
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    status = claim_status(campaign.id, claim_id)
    if status is None:
        raise NotFound()
    return campaign, status


def _status(campaign: Campaign, claim: Claim, version: ClaimVersion) -> ClaimStatus:
    status = claim_status(campaign.id, claim.id)
    assert status is not None and status.version.id == version.id
    return status


def _entry(version: ClaimVersion) -> LedgerEntry:
    entry = db.session.get(LedgerEntry, version.ledger_entry_id)
    assert entry is not None
    return entry


def _checked_terms(actor: Actor, campaign: Campaign, terms: ClaimTerms) -> ClaimTerms:
    check_amount(terms.amount_minor)
    check_money_date(terms.paid_on, "paid_on", actor.user.organization)
    if terms.service_to < terms.service_from:
        raise ValidationFailed("The service period ends before it starts.", field="service_to")
    for value, field in ((terms.service_from, "service_from"), (terms.service_to, "service_to")):
        if not campaign.start_date <= value <= campaign.end_date:
            raise ValidationFailed(
                f"The service period lies within the campaign's dates "
                f"({format_date(campaign.start_date)} to {format_date(campaign.end_date)}).",
                field=field,
            )
    return replace(terms, note=clean_note(terms.note))


def _guard(
    actor: Actor, campaign: Campaign, committed: int, spent_after: int, reason: str | None
) -> bool:
    """True when the claim takes spend past the commitments (an admin with a reason may)."""
    if spent_after <= committed:
        return False
    if not can(actor.user, Action.OVERRIDE_BUDGET):
        raise OverBudget(
            f"This claim would take spend to {format_money(spent_after, campaign.currency)}, "
            f"above the {format_money(committed, campaign.currency)} committed. "
            "Ask the parties to commit more budget first.",
            field="amount",
        )
    if not reason:
        raise OverBudget(
            "Spend above the commitments needs a written override reason.",
            field="override_reason",
        )
    return True


def confirm_due(campaign: Campaign, claimant_id: int, now: datetime) -> datetime | None:
    """When silence counts as confirmation: the end of the n-th business day in each other
    party's zone and holidays (n its window), the latest of them; None when there is nobody
    else to ask."""
    others = [p for p in party_ids(campaign.id) if p != claimant_id]
    if not others:
        return None
    return work_days.deadline(now, others, "claim_confirmation_business_days", default=5)


def _post_version(
    actor: Actor,
    campaign: Campaign,
    claim: Claim,
    number: int,
    terms: ClaimTerms,
    stored: Sequence[StoredProof],
    reason: str | None,
    over: bool,
) -> ClaimVersion:
    entry = append_entry(
        actor,
        campaign,
        EntryKind.EXPENSE,
        "ledger.expense" + (".override" if over else ""),
        organization_id=claim.organization_id,
        amount_minor=terms.amount_minor,
        note=terms.note,
        occurred_on=terms.paid_on,
        override_reason=reason,
        placement_id=claim.placement_id,
    )
    version = ClaimVersion(
        claim_id=claim.id,
        number=number,
        amount_minor=terms.amount_minor,
        currency=campaign.currency,
        service_from=terms.service_from,
        service_to=terms.service_to,
        paid_on=terms.paid_on,
        note=terms.note,
        ledger_entry_id=entry.id,
        confirm_due_at=confirm_due(campaign, claim.organization_id, utcnow()),
        created_by_id=actor.user_id,
    )
    db.session.add(version)
    db.session.flush()
    db.session.add_all(
        ClaimProof(
            claim_version_id=version.id,
            sha256=p.sha256,
            filename=p.filename,
            content_type=p.content_type,
            size=p.size,
        )
        for p in stored
    )
    events.raise_(
        "claim.submitted", party_ids(campaign.id), **events.payloads.claim_version(claim, version)
    )
    others = [p for p in party_ids(campaign.id) if p != claim.organization_id]
    if others:
        claim_notices.claim_to_confirm(campaign, claim, version, others)
    return version
