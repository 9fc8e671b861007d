"""A partner statement: every joint campaign of the acting company with one partner, per
currency — what each side committed and claimed (confirmed / pending / disputed), paid and
received, and what is owed one way.

The sums come from a fixed number of SQL aggregates whatever the number of campaigns (the
partner, the campaigns, their shares, the ledger, the claims' states, the confirmed payments);
``statement_lines`` shapes them. The partner must be (or have been) a partner of the actor's
company: any other organization answers "not found", like one that does not exist.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.budgets.balances import effective_sums
from comarketing.budgets.claim_workflow import ClaimState
from comarketing.budgets.models import (
    Claim,
    ClaimResponse,
    ClaimVersion,
    LedgerEntry,
    Payment,
    PaymentResponse,
)
from comarketing.budgets.statement_lines import (
    CampaignFacts,
    PartySums,
    Statement,
    build_statement,
)
from comarketing.campaigns.models import Campaign, CampaignKind, CampaignParty
from comarketing.context import Actor
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.partners.models import Partnership, PartnershipStatus
from comarketing.policy import Action, authorize

# A partnership that was accepted keeps its statement after it ends: money may still be owed.
STATEMENT_PARTNERSHIPS = (PartnershipStatus.ACTIVE.value, PartnershipStatus.ENDED.value)


def _partner_name(me: int, partner_id: int) -> str:
    between = sa.or_(
        sa.and_(
            Partnership.inviter_organization_id == me,
            Partnership.invitee_organization_id == partner_id,
        ),
        sa.and_(
            Partnership.inviter_organization_id == partner_id,
            Partnership.invitee_organization_id == me,
        ),
    )
    partnered = sa.exists().where(between, Partnership.status.in_(STATEMENT_PARTNERSHIPS))
    name = db.session.scalar(
        sa.select(Organization.name).where(Organization.id == partner_id, partnered)
    )
    if name is None or partner_id == me:
        raise NotFound()
    return name


def _joint_campaigns(me: int, partner_id: int) -> Sequence[Any]:
    def parties_of(org: int) -> sa.Select[Any]:
        return sa.select(CampaignParty.campaign_id).where(CampaignParty.organization_id == org)

    return db.session.execute(
        sa.select(Campaign.id, Campaign.name, Campaign.currency, Campaign.status)
        .where(
            Campaign.kind == CampaignKind.JOINT.value,
            Campaign.id.in_(parties_of(me)),
            Campaign.id.in_(parties_of(partner_id)),
        )
        .order_by(Campaign.start_date.desc(), Campaign.id.desc())
    ).all()


def _shares(ids: list[int]) -> dict[int, dict[int, int]]:
    shares: dict[int, dict[int, int]] = defaultdict(dict)
    for campaign_id, org, share in db.session.execute(
        sa.select(
            CampaignParty.campaign_id, CampaignParty.organization_id, CampaignParty.budget_share_bp
        ).where(CampaignParty.campaign_id.in_(ids))
    ):
        shares[campaign_id][org] = int(share)
    return shares


def _ledger_sums(ids: list[int]) -> dict[tuple[int, int], tuple[int, int]]:
    """(campaign, party) -> (committed, live expenses), net of reversals."""
    committed, spent, original = effective_sums()
    rows = db.session.execute(
        sa.select(LedgerEntry.campaign_id, LedgerEntry.organization_id, committed, spent)
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.campaign_id.in_(ids))
        .group_by(LedgerEntry.campaign_id, LedgerEntry.organization_id)
    ).all()
    return {(c, o): (int(k), int(s)) for c, o, k, s in rows}


def _claim_state() -> sa.ColumnElement[str]:
    """The state of a claim's current version in SQL, as ``claim_workflow.claim_state`` derives
    it: withdrawn if its entry was reversed, else disputed if any party disputed, else confirmed
    once every other party answered, else pending. (Correlated to Claim and ClaimVersion.)"""
    party_orgs = sa.select(CampaignParty.organization_id).where(
        CampaignParty.campaign_id == Claim.campaign_id
    )
    others = (
        sa.select(sa.func.count())
        .select_from(CampaignParty)
        .where(
            CampaignParty.campaign_id == Claim.campaign_id,
            CampaignParty.organization_id != Claim.organization_id,
        )
        .scalar_subquery()
    )
    answered = (
        sa.select(sa.func.count())
        .select_from(ClaimResponse)
        .where(
            ClaimResponse.claim_version_id == ClaimVersion.id,
            ClaimResponse.organization_id != Claim.organization_id,
            ClaimResponse.organization_id.in_(party_orgs),
        )
        .scalar_subquery()
    )
    withdrawn = sa.exists().where(LedgerEntry.reverses_id == ClaimVersion.ledger_entry_id)
    disputed = sa.exists().where(
        ClaimResponse.claim_version_id == ClaimVersion.id, ClaimResponse.kind == "disputed"
    )
    return sa.case(
        (withdrawn, ClaimState.WITHDRAWN.value),
        (disputed, ClaimState.DISPUTED.value),
        (answered >= others, ClaimState.CONFIRMED.value),
        else_=ClaimState.PENDING.value,
    )


def _claim_sums(ids: list[int]) -> dict[tuple[int, int], dict[str, int]]:
    """(campaign, claimant) -> {state: amount of the current versions}, summed in SQL."""
    latest = (
        sa.select(ClaimVersion.claim_id, sa.func.max(ClaimVersion.number).label("number"))
        .join(Claim, Claim.id == ClaimVersion.claim_id)
        .where(Claim.campaign_id.in_(ids))
        .group_by(ClaimVersion.claim_id)
        .subquery()
    )
    per_claim = (
        sa.select(
            Claim.campaign_id.label("campaign_id"),
            Claim.organization_id.label("organization_id"),
            ClaimVersion.amount_minor.label("amount_minor"),
            _claim_state().label("state"),
        )
        .join(latest, latest.c.claim_id == Claim.id)
        .join(
            ClaimVersion,
            sa.and_(ClaimVersion.claim_id == Claim.id, ClaimVersion.number == latest.c.number),
        )
        .subquery()
    )
    sums: dict[tuple[int, int], dict[str, int]] = defaultdict(dict)
    for campaign_id, org, state, amount in db.session.execute(
        sa.select(
            per_claim.c.campaign_id,
            per_claim.c.organization_id,
            per_claim.c.state,
            sa.func.sum(per_claim.c.amount_minor),
        ).group_by(per_claim.c.campaign_id, per_claim.c.organization_id, per_claim.c.state)
    ):
        sums[(campaign_id, org)][state] = int(amount)
    return sums


def _payments(ids: list[int]) -> dict[int, list[tuple[int, int, int]]]:
    """Confirmed payments per campaign, summed per (from, to)."""
    payments: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for campaign_id, payer, payee, amount in db.session.execute(
        sa.select(
            Payment.campaign_id,
            Payment.from_organization_id,
            Payment.to_organization_id,
            sa.func.sum(Payment.amount_minor),
        )
        .join(PaymentResponse, PaymentResponse.payment_id == Payment.id)
        .where(Payment.campaign_id.in_(ids), PaymentResponse.kind == "confirmed")
        .group_by(Payment.campaign_id, Payment.from_organization_id, Payment.to_organization_id)
        .order_by(Payment.campaign_id, Payment.from_organization_id, Payment.to_organization_id)
    ):
        payments[campaign_id].append((int(payer), int(payee), int(amount)))
    return payments


def _party_sums(committed_and_spent: tuple[int, int], claimed: dict[str, int]) -> PartySums:
    """Pending is what the live expenses hold beyond the confirmed and disputed claims (an
    expense posted from results before claims existed counts as pending), as in ``balances``."""
    committed, spent = committed_and_spent
    confirmed = claimed.get(ClaimState.CONFIRMED.value, 0)
    disputed = claimed.get(ClaimState.DISPUTED.value, 0)
    return PartySums(committed, confirmed, spent - confirmed - disputed, disputed)


def partner_statement(actor: Actor, partner_id: int) -> Statement:
    """The statement of the actor's company with ``partner_id``; NotFound unless partners."""
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    me = actor.organization_id
    partner_name = _partner_name(me, partner_id)
    campaigns = _joint_campaigns(me, partner_id)
    ids = [row.id for row in campaigns]
    if not ids:
        return build_statement(me, partner_id, partner_name, [])
    shares, ledger, claimed, payments = (
        _shares(ids),
        _ledger_sums(ids),
        _claim_sums(ids),
        _payments(ids),
    )
    facts = [
        CampaignFacts(
            campaign_id=row.id,
            name=row.name,
            currency=row.currency,
            status=row.status,
            shares_bp=shares[row.id],
            sums={
                org: _party_sums(ledger.get((row.id, org), (0, 0)), claimed.get((row.id, org), {}))
                for org in shares[row.id]
            },
            payments=payments.get(row.id, []),
        )
        for row in campaigns
    ]
    return build_statement(me, partner_id, partner_name, facts)
