"""Reversals: an earlier commitment or expense is cancelled by a new entry that points at it,
never by an edit. A reversal is never reversed itself, and an entry is reversed once. Reversing
the entry of an expense claim withdraws the claim (its state is derived from the entry); the
claim's own revise and withdraw steps use :func:`append_reversal` too."""

from __future__ import annotations

import sqlalchemy as sa

from comarketing import audit
from comarketing.budgets.balances import campaign_totals
from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.budgets.posting import OverBudget, check_posting, clean_note
from comarketing.campaigns.access import get_visible_campaign, party_ids
from comarketing.campaigns.models import Campaign
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.policy import Action, can
from comarketing.unit_of_work import transactional


@transactional
def reverse_entry(
    actor: Actor,
    campaign_id: int,
    entry_id: int,
    *,
    reason: str,
    override_reason: str | None = None,
) -> LedgerEntry:
    """Cancel an earlier commitment or expense with a reversal entry (never an edit)."""
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    original = db.session.scalar(
        sa.select(LedgerEntry).where(
            LedgerEntry.id == entry_id, LedgerEntry.campaign_id == campaign.id
        )
    )
    if original is None:
        raise NotFound()
    posted_reason = check_posting(actor, campaign, original.organization_id, override_reason)
    _check_reversible(original)
    why = clean_note(reason)
    if not why:
        raise ValidationFailed("Say why the entry is reversed.", field="reason")
    if original.kind == EntryKind.COMMITMENT.value:
        _check_commitment_can_go(actor, campaign, original, posted_reason)
    entry = append_reversal(actor, campaign, original, note=why, override_reason=posted_reason)
    db.session.commit()
    return entry


def append_reversal(
    actor: Actor,
    campaign: Campaign,
    original: LedgerEntry,
    *,
    note: str,
    override_reason: str | None,
) -> LedgerEntry:
    """Add the entry that cancels ``original``, and its audit event, in the caller's
    transaction (the caller checked it may)."""
    entry = LedgerEntry(
        campaign_id=campaign.id,
        organization_id=original.organization_id,
        kind=EntryKind.REVERSAL.value,
        amount_minor=original.amount_minor,
        currency=original.currency,
        placement_id=original.placement_id,
        reverses_id=original.id,
        note=note,
        occurred_on=utcnow().date(),
        override_reason=override_reason,
        created_by_id=actor.user_id,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        "ledger.reversal",
        actor=actor,
        organization_ids=party_ids(campaign.id),
        target=entry,
        campaign_id=campaign.id,
        reverses=original.id,
        reason=note,
    )
    return entry


def _check_reversible(original: LedgerEntry) -> None:
    if original.kind == EntryKind.REVERSAL.value:
        raise ValidationFailed(
            "A reversal cannot itself be reversed; post a new entry.", field="entry_id"
        )
    already = db.session.scalar(
        sa.select(LedgerEntry.id).where(LedgerEntry.reverses_id == original.id)
    )
    if already is not None:
        raise ValidationFailed("This entry was already reversed.", field="entry_id")


def _check_commitment_can_go(
    actor: Actor, campaign: Campaign, original: LedgerEntry, posted_reason: str | None
) -> None:
    """Withdrawing a commitment may not leave more spent than committed, unless an admin
    overrides with a reason."""
    totals = campaign_totals(campaign.id)
    if totals.committed_minor - original.amount_minor < totals.spent_minor and not (
        can(actor.user, Action.OVERRIDE_BUDGET) and posted_reason
    ):
        raise OverBudget(
            "Withdrawing this commitment would leave more spent than committed.",
            field="entry_id",
        )
