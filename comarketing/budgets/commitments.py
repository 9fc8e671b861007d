"""Commitments: the budget each party promises a campaign — recorded for every party when an
offer is approved, and added by hand later."""

from __future__ import annotations

from datetime import date

from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.budgets.posting import (
    append_entry,
    check_amount,
    check_currency,
    check_money_date,
    check_posting,
)
from comarketing.campaigns.access import get_visible_campaign
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.unit_of_work import transactional


def record_commitments(
    *,
    campaign_id: int,
    currency: str,
    amounts: dict[int, int],
    created_by_id: int | None,
    note: str,
) -> list[LedgerEntry]:
    """One commitment per party with a positive amount, in the caller's transaction (used when
    an offer is approved)."""
    today = utcnow().date()
    entries = [
        LedgerEntry(
            campaign_id=campaign_id,
            organization_id=organization_id,
            kind=EntryKind.COMMITMENT.value,
            amount_minor=amount,
            currency=currency,
            created_by_id=created_by_id,
            note=note,
            occurred_on=today,
        )
        for organization_id, amount in sorted(amounts.items())
        if amount > 0
    ]
    db.session.add_all(entries)
    db.session.flush()
    return entries


@transactional
def commit_budget(
    actor: Actor,
    campaign_id: int,
    *,
    organization_id: int,
    amount_minor: int,
    note: str = "",
    occurred_on: date | None = None,
    currency: str | None = None,
    override_reason: str | None = None,
) -> LedgerEntry:
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    reason = check_posting(actor, campaign, organization_id, override_reason)
    check_currency(campaign, currency)
    check_amount(amount_minor)
    check_money_date(occurred_on, "occurred_on", actor.user.organization)
    entry = append_entry(
        actor,
        campaign,
        EntryKind.COMMITMENT,
        "ledger.commitment",
        organization_id=organization_id,
        amount_minor=amount_minor,
        note=note,
        occurred_on=occurred_on,
        override_reason=reason,
    )
    db.session.commit()
    return entry
