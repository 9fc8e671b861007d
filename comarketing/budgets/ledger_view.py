"""A campaign's money as one read for the API: its latest ledger entries, claims (each with all
its versions: terms, answers, proof) and payments, the balances and the settlement; the same
lists page by page (``entry_page``, ``claim_page``, ``payment_page``), so no answer grows with
the campaign's history; and the lookups that find the campaign of a claim or payment named by
id alone.

Every read starts from the actor's visible campaigns (``campaigns.access``), so another
company's campaign, claim or payment is "not found", exactly like a missing one. Read-only:
a handful of queries per campaign, whatever the number of claims.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.budgets import balances as budget_balances
from comarketing.budgets import claim_states
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
from comarketing.campaigns.access import get_visible_campaign
from comarketing.campaigns.models import Campaign, CampaignParty, Placement
from comarketing.context import Actor
from comarketing.errors import NotFound
from comarketing.extensions import db
from comarketing.policy import Action, authorize

T = TypeVar("T")

# How many of each list the whole-ledger read holds (newest first); the pages hold the rest.
LIST_LIMIT = 100


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
class Names:
    """What every list of a campaign's money needs: the campaign, its parties' and
    placements' names."""

    campaign: Campaign
    party_names: dict[int, str]
    placement_names: dict[int, str]
    # Each party's budget share (basis points), read with its name.
    shares: dict[int, int]


@dataclass
class Money(Names):
    """A campaign's names with the balances per party, their totals and the settlement."""

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
    claims_truncated: bool
    payments: list[PaymentStatus]
    payments_truncated: bool


@dataclass
class Page(Generic[T]):
    """One page of a list (newest first) and how many the whole list holds."""

    names: Names
    items: list[T]
    total: int


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


def campaign_names(actor: Actor, campaign_id: int) -> Names:
    """The names a campaign's money lists show (a campaign the actor's company is a party to,
    else 404)."""
    campaign = get_visible_campaign(actor, campaign_id)
    names, shares = {}, {}
    for org, name, share in db.session.execute(
        sa.select(Organization.id, Organization.name, CampaignParty.budget_share_bp)
        .join(CampaignParty, CampaignParty.organization_id == Organization.id)
        .where(CampaignParty.campaign_id == campaign.id)
    ):
        names[org], shares[org] = name, share
    placements = dict(
        db.session.execute(
            sa.select(Placement.id, Placement.name).where(Placement.campaign_id == campaign.id)
        ).all()
    )
    return Names(campaign=campaign, party_names=names, placement_names=placements, shares=shares)


def campaign_money(actor: Actor, campaign_id: int, *, newest: int | None = None) -> Money:
    """Balances and settlement of a campaign the actor's company is a party to (else 404),
    with every claim's status, newest first — or, given ``newest``, only that many: the
    balances then come from the claims' sums in SQL (``claim_sums_in_sql``, as the campaign
    page's), not from loading every claim."""
    names = campaign_names(actor, campaign_id)
    campaign = names.campaign
    parties = list(names.shares)
    if newest is None:
        statuses = claim_statuses(campaign.id, parties=parties)
        party_balances = budget_balances.balances(campaign.id, statuses)
    else:
        statuses = (
            claim_states.claim_page(campaign.id, 0, newest, parties=parties) if newest > 0 else []
        )
        party_balances = budget_balances.balances(
            campaign.id, sums=claim_states.claim_sums_in_sql(campaign.id)
        )
    return Money(
        campaign=campaign,
        party_names=names.party_names,
        placement_names=names.placement_names,
        shares=names.shares,
        balances=party_balances,
        totals=budget_balances.totals_of(party_balances),
        settlement=budget_balances.settlement(campaign.id, party_balances, shares=names.shares),
        statuses=statuses,
    )


def campaign_ledger(actor: Actor, campaign_id: int) -> LedgerView:
    """The money picture of one campaign: totals, and the newest LIST_LIMIT of its entries,
    claims and payments (each list says whether it holds them all)."""
    money = campaign_money(actor, campaign_id, newest=LIST_LIMIT + 1)
    campaign_id = money.campaign.id
    entries = budget_balances.ledger(campaign_id, limit=LIST_LIMIT + 1)
    payments = payment_statuses(campaign_id, limit=LIST_LIMIT + 1)
    return LedgerView(
        money=money,
        entries=entries[:LIST_LIMIT],
        entries_truncated=len(entries) > LIST_LIMIT,
        claims=_records(campaign_id, money.statuses[:LIST_LIMIT]),
        claims_truncated=len(money.statuses) > LIST_LIMIT,
        payments=payments[:LIST_LIMIT],
        payments_truncated=len(payments) > LIST_LIMIT,
    )


def entry_page(actor: Actor, campaign_id: int, page: int, per_page: int) -> Page[EntryRow]:
    """One page of the campaign's ledger entries, newest first."""
    names = campaign_names(actor, campaign_id)
    campaign_id = names.campaign.id
    rows = budget_balances.ledger(campaign_id, limit=per_page, offset=(page - 1) * per_page)
    return Page(names, rows, budget_balances.ledger_size(campaign_id))


def claim_page(actor: Actor, campaign_id: int, page: int, per_page: int) -> Page[ClaimRecord]:
    """One page of the campaign's claims, newest first, each with all its versions."""
    names = campaign_names(actor, campaign_id)
    campaign_id = names.campaign.id
    offset = (page - 1) * per_page
    statuses = claim_states.claim_page(campaign_id, offset, per_page, parties=list(names.shares))
    total = claim_states.claim_count(campaign_id)
    return Page(names, _records(campaign_id, statuses), total)


def payment_page(actor: Actor, campaign_id: int, page: int, per_page: int) -> Page[PaymentStatus]:
    """One page of the payments between the campaign's parties, newest first."""
    names = campaign_names(actor, campaign_id)
    campaign_id = names.campaign.id
    payments = payment_statuses(campaign_id, limit=per_page, offset=(page - 1) * per_page)
    total = db.session.scalar(
        sa.select(sa.func.count(Payment.id)).where(Payment.campaign_id == campaign_id)
    )
    return Page(names, payments, int(total or 0))


def claim_record(actor: Actor, claim_id: int) -> tuple[Money, ClaimRecord]:
    """One claim with every version, and its campaign's money (for names and currency)."""
    money = campaign_money(actor, claim_campaign_id(actor, claim_id), newest=0)
    status = claim_statuses(money.campaign.id, [claim_id], parties=list(money.shares))[0]
    return money, _records(money.campaign.id, [status])[0]


def payment_record(actor: Actor, payment_id: int) -> tuple[Money, PaymentStatus]:
    money = campaign_money(actor, payment_campaign_id(actor, payment_id), newest=0)
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
