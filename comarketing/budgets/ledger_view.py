"""A campaign's money as one read for the API: its ledger entries, every claim with all its
versions (terms, answers, proof), its payments, the balances and the settlement; and the
lookups that find the campaign of a claim or payment named by id alone.

Every read starts from the actor's visible campaigns (``campaigns.access``), so another
company's campaign, claim or payment is "not found", exactly like a missing one. Read-only:
a handful of queries per campaign, whatever the number of claims.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.budgets import balances as budget_balances
from comarketing.budgets.balances import EntryRow, PartyBalance, Totals
from comarketing.budgets.claim_states import (
    ClaimStatus,
    PaymentStatus,
    claim_statuses,
    payment_statuses,
    proofs_by_version,
)
from comarketing.budgets.models import (
    Claim,
    ClaimProof,
    ClaimResponse,
    ClaimVersion,
    LedgerEntry,
    Payment,
)
from comarketing.budgets.settlement import Settlement
from comarketing.campaigns.access import get_visible_campaign, party_ids
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.context import Actor
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.policy import Action, authorize

MAX_ENTRIES = 1000


@dataclass
class VersionRecord:
    """One version of a claim with the answers and proof given to it."""

    version: ClaimVersion
    reversed: bool
    answers: list[ClaimResponse] = field(default_factory=list)
    proofs: list[ClaimProof] = field(default_factory=list)


@dataclass
class ClaimRecord:
    status: ClaimStatus  # the current version and the derived state
    versions: list[VersionRecord]  # oldest first


@dataclass
class Money:
    """What every view of a campaign's money needs: the campaign, its parties' names,
    the balances per party, their totals and the settlement."""

    campaign: Campaign
    party_names: dict[int, str]
    placement_names: dict[int, str]
    balances: dict[int, PartyBalance]
    totals: Totals
    settlement: Settlement
    statuses: list[ClaimStatus]


@dataclass
class LedgerView:
    money: Money
    entries: list[EntryRow]
    entries_truncated: bool
    claims: list[ClaimRecord]
    payments: list[PaymentStatus]


def _visible_campaign_ids(actor: Actor) -> sa.Select[int]:
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    return sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == actor.organization_id
    )


def claim_campaign_id(actor: Actor, claim_id: int) -> int:
    """The campaign of a claim of a campaign the actor's company is a party to (else 404)."""
    found = db.session.scalar(
        sa.select(Claim.campaign_id).where(
            Claim.id == claim_id, Claim.campaign_id.in_(_visible_campaign_ids(actor))
        )
    )
    if found is None:
        raise NotFound()
    return int(found)


def payment_campaign_id(actor: Actor, payment_id: int) -> int:
    """The campaign of a payment of a campaign the actor's company is a party to (else 404)."""
    found = db.session.scalar(
        sa.select(Payment.campaign_id).where(
            Payment.id == payment_id, Payment.campaign_id.in_(_visible_campaign_ids(actor))
        )
    )
    if found is None:
        raise NotFound()
    return int(found)


def campaign_money(actor: Actor, campaign_id: int) -> Money:
    """Balances and settlement of a campaign the actor's company is a party to (else 404)."""
    campaign = get_visible_campaign(actor, campaign_id)
    parties = party_ids(campaign.id)
    names = dict(
        db.session.execute(
            sa.select(Organization.id, Organization.name).where(Organization.id.in_(parties))
        ).all()
    )
    placements = dict(
        db.session.execute(
            sa.select(Placement.id, Placement.name).where(Placement.campaign_id == campaign.id)
        ).all()
    )
    statuses = claim_statuses(campaign.id)
    party_balances = budget_balances.balances(campaign.id, statuses)
    return Money(
        campaign=campaign,
        party_names=names,
        placement_names=placements,
        balances=party_balances,
        totals=budget_balances.totals_of(party_balances),
        settlement=budget_balances.settlement(campaign.id, party_balances),
        statuses=statuses,
    )


def campaign_ledger(actor: Actor, campaign_id: int) -> LedgerView:
    """The whole money picture of one campaign (entries newest first, at most MAX_ENTRIES)."""
    money = campaign_money(actor, campaign_id)
    entries = budget_balances.ledger(money.campaign.id, limit=MAX_ENTRIES + 1)
    return LedgerView(
        money=money,
        entries=entries[:MAX_ENTRIES],
        entries_truncated=len(entries) > MAX_ENTRIES,
        claims=_records(money.campaign.id, money.statuses),
        payments=payment_statuses(money.campaign.id),
    )


def claim_record(actor: Actor, claim_id: int) -> tuple[Money, ClaimRecord]:
    """One claim with every version, and its campaign's money (for names and currency)."""
    money = campaign_money(actor, claim_campaign_id(actor, claim_id))
    status = next(s for s in money.statuses if s.claim.id == claim_id)
    return money, _records(money.campaign.id, [status])[0]


def payment_record(actor: Actor, payment_id: int) -> tuple[Money, PaymentStatus]:
    money = campaign_money(actor, payment_campaign_id(actor, payment_id))
    return money, payment_statuses(money.campaign.id, [payment_id])[0]


def _records(campaign_id: int, statuses: list[ClaimStatus]) -> list[ClaimRecord]:
    """Every version of the given claims, with answers, proofs and whether it was reversed."""
    claim_ids = [s.claim.id for s in statuses]
    if not claim_ids:
        return []
    reversed_entry = sa.exists().where(LedgerEntry.reverses_id == ClaimVersion.ledger_entry_id)
    rows = db.session.execute(
        sa.select(ClaimVersion, reversed_entry)
        .where(ClaimVersion.claim_id.in_(claim_ids))
        .order_by(ClaimVersion.claim_id, ClaimVersion.number)
    ).all()
    version_ids = [version.id for version, _ in rows]
    answers: dict[int, list[ClaimResponse]] = defaultdict(list)
    for response in db.session.scalars(
        sa.select(ClaimResponse)
        .where(ClaimResponse.claim_version_id.in_(version_ids))
        .order_by(ClaimResponse.id)
    ):
        answers[response.claim_version_id].append(response)
    proofs = proofs_by_version(version_ids)
    versions: dict[int, list[VersionRecord]] = defaultdict(list)
    for version, gone in rows:
        versions[version.claim_id].append(
            VersionRecord(version, bool(gone), answers[version.id], proofs[version.id])
        )
    return [ClaimRecord(status, versions[status.claim.id]) for status in statuses]
