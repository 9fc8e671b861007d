"""Expenses posted by hand: money a party spent on one of the campaign's placements.

Posting locks the campaign row, so concurrent posts are checked one after another and spend
never passes the commitments (unless an admin overrides with a written reason).
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from comarketing.budgets.alerts import announce_spend_level
from comarketing.budgets.balances import campaign_totals
from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.budgets.posting import (
    OverBudget,
    append_entry,
    check_amount,
    check_currency,
    check_money_date,
    check_posting,
    check_within_campaign,
)
from comarketing.campaigns.access import get_visible_campaign
from comarketing.campaigns.models import Campaign, Placement
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.money import format_money
from comarketing.policy import Action, can
from comarketing.unit_of_work import transactional


@transactional
def post_expense(
    actor: Actor,
    campaign_id: int,
    *,
    organization_id: int,
    placement_id: int,
    amount_minor: int,
    note: str = "",
    occurred_on: date | None = None,
    currency: str | None = None,
    override_reason: str | None = None,
) -> LedgerEntry:
    """Record money a party spent on a placement.

    Refused when it would take the campaign's spend past its commitments, unless an admin
    gives a reason. The campaign row is locked first, so simultaneous posts cannot all pass
    the check against the same old total.
    """
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    reason = check_posting(actor, campaign, organization_id, override_reason)
    check_currency(campaign, currency)
    check_amount(amount_minor)
    placement = db.session.scalar(
        sa.select(Placement).where(
            Placement.id == placement_id, Placement.campaign_id == campaign.id
        )
    )
    if placement is None:
        raise ValidationFailed("Choose a placement of this campaign.", field="placement_id")
    check_money_date(occurred_on, "occurred_on")
    occurred_on = occurred_on or utcnow().date()
    check_within_campaign(campaign, occurred_on, "occurred_on")
    totals = campaign_totals(campaign.id)
    over = totals.spent_minor + amount_minor > totals.committed_minor
    if over:
        _check_override(actor, campaign, totals.committed_minor, totals.spent_minor + amount_minor)
        if not reason:
            raise OverBudget(
                "Spend above the commitments needs a written override reason.",
                field="override_reason",
            )
    entry = append_entry(
        actor,
        campaign,
        EntryKind.EXPENSE,
        "ledger.expense" + (".override" if over else ""),
        organization_id=organization_id,
        amount_minor=amount_minor,
        note=note,
        occurred_on=occurred_on,
        override_reason=reason,
        placement_id=placement.id,
    )
    announce_spend_level(campaign, totals.committed_minor, totals.spent_minor + amount_minor)
    db.session.commit()
    return entry


def _check_override(actor: Actor, campaign: Campaign, committed: int, spent_after: int) -> None:
    """Only someone who may override the budget posts spend above the commitments."""
    if not can(actor.user, Action.OVERRIDE_BUDGET):
        raise OverBudget(
            f"This expense would take spend to "
            f"{format_money(spent_after, campaign.currency)}, above "
            f"the {format_money(committed, campaign.currency)} committed. "
            "Ask the parties to commit more budget first.",
            field="amount",
        )
