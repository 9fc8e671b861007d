"""Money that waits on someone, for the home page: partners' expense claims this person's
company has not answered, payments it received and has not confirmed, and its own claims and
payments the other parties still answer.

One query each, whatever the number of campaigns or claims. A claim waits on a party while its
current version is pending (not withdrawn, nobody disputed it) and that party has not answered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.budgets.models import (
    Claim,
    ClaimResponse,
    ClaimVersion,
    CountedSpend,
    Payment,
    PaymentResponse,
)
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.policy import Action, can


@dataclass(frozen=True)
class MoneyWait:
    kind: str  # claim | payment
    id: int
    campaign_id: int
    campaign: str
    amount_minor: int
    currency: str
    due_at: datetime | None  # a claim's confirmation due time; payments have none
    since: datetime
    on: date  # paid on
    companies: tuple[str, ...]  # who claimed / paid, or who has not answered yet


def _mine(organization_id: int) -> sa.Select[int]:
    return sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == organization_id
    )


def _answered_by(organization_id: int | sa.SQLColumnExpression[int]) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        ClaimResponse.claim_version_id == ClaimVersion.id,
        ClaimResponse.organization_id == organization_id,
    )


def _pending_claims(organization_id: int, *columns: Any) -> sa.Select[Any]:
    """Live claim versions (the current one of each claim, not withdrawn) on the organization's
    campaigns that nobody disputed: ``spend.counts_as_spend``, read from the versions counting
    now (``counted_spend``, one index by campaign) rather than worked out per version."""
    return (
        sa.select(*columns)
        .select_from(CountedSpend)
        .join(ClaimVersion, ClaimVersion.id == CountedSpend.claim_version_id)
        .join(Claim, Claim.id == ClaimVersion.claim_id)
        .join(Campaign, Campaign.id == CountedSpend.campaign_id)
        .where(CountedSpend.campaign_id.in_(_mine(organization_id)))
    )


_CLAIM = (
    Claim.id,
    Claim.campaign_id,
    Campaign.name,
    ClaimVersion.amount_minor,
    ClaimVersion.currency,
    ClaimVersion.confirm_due_at,
    ClaimVersion.created_at,
    ClaimVersion.paid_on,
    Organization.name,
)
_PAYMENT = (
    Payment.id,
    Payment.campaign_id,
    Campaign.name,
    Payment.amount_minor,
    Payment.currency,
    sa.null(),
    Payment.created_at,
    Payment.paid_on,
    Organization.name,
)


def _waits(kind: str, rows: Iterable[Any]) -> list[MoneyWait]:
    """One item per claim or payment with the companies of its rows, in the rows' order."""
    found: dict[int, MoneyWait] = {}
    for i, campaign_id, name, amount, currency, due, at, on, company in rows:
        known = found.get(i)
        companies = (*known.companies, company) if known else (company,)
        found[i] = MoneyWait(
            kind, int(i), int(campaign_id), name, int(amount), currency, due, at, on, companies
        )
    return list(found.values())


def claims_to_confirm(actor: Actor) -> list[MoneyWait]:
    """Partners' pending claims the actor's company has not answered, for those who confirm."""
    if not can(actor.user, Action.CONFIRM_MONEY):
        return []
    me = actor.organization_id
    rows = db.session.execute(
        _pending_claims(me, *_CLAIM)
        .join(Organization, Organization.id == Claim.organization_id)
        .where(Claim.organization_id != me, ~_answered_by(me))
    ).all()
    return _waits("claim", rows)


def claims_awaiting_partners(actor: Actor) -> list[MoneyWait]:
    """The company's pending claims, with the parties that have not answered yet."""
    me = actor.organization_id
    rows = db.session.execute(
        _pending_claims(me, *_CLAIM)
        .join(
            CampaignParty,
            sa.and_(
                CampaignParty.campaign_id == Claim.campaign_id,
                CampaignParty.organization_id != me,
            ),
        )
        .join(Organization, Organization.id == CampaignParty.organization_id)
        .where(Claim.organization_id == me, ~_answered_by(CampaignParty.organization_id))
        .order_by(Claim.id, Organization.name)
    ).all()
    return _waits("claim", rows)


def _open_payments(where: sa.ColumnElement[bool], company: Any) -> list[MoneyWait]:
    answered = sa.exists().where(PaymentResponse.payment_id == Payment.id)
    rows = db.session.execute(
        sa.select(*_PAYMENT)
        .join(Campaign, Campaign.id == Payment.campaign_id)
        .join(Organization, Organization.id == company)
        .where(where, ~answered)
        .order_by(Payment.id)
    ).all()
    return _waits("payment", rows)


def payments_to_confirm(actor: Actor) -> list[MoneyWait]:
    """Payments to the actor's company that it has not confirmed or rejected."""
    if not can(actor.user, Action.CONFIRM_MONEY):
        return []
    me = actor.organization_id
    return _open_payments(
        sa.and_(Payment.to_organization_id == me, Payment.campaign_id.in_(_mine(me))),
        Payment.from_organization_id,
    )


def payments_awaiting_partners(actor: Actor) -> list[MoneyWait]:
    """Payments the company recorded that their receivers have not answered yet."""
    me = actor.organization_id
    return _open_payments(
        sa.and_(Payment.from_organization_id == me, Payment.campaign_id.in_(_mine(me))),
        Payment.to_organization_id,
    )
