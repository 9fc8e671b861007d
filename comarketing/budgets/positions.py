"""Balances and settlements of many campaigns at once, for lists (the home page's campaigns):
the same figures as ``balances.balances`` and ``balances.settlement`` give one campaign, in five
queries whatever the number of campaigns or claims.

The claims' states come from the same pure ``claim_workflow.claim_state`` and the settlement
from the same pure ``settlement.settle``; only the reading is batched.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from comarketing.budgets.balances import PartyBalance, Totals, effective_sums, totals_of
from comarketing.budgets.claim_workflow import ClaimState, claim_state
from comarketing.budgets.models import (
    Claim,
    ClaimResponse,
    ClaimVersion,
    LedgerEntry,
    Payment,
    PaymentResponse,
)
from comarketing.budgets.settlement import Settlement, settle
from comarketing.campaigns.models import CampaignParty
from comarketing.extensions import db


@dataclass(frozen=True)
class CampaignMoney:
    balances: dict[int, PartyBalance]
    settlement: Settlement

    @property
    def totals(self) -> Totals:
        return totals_of(self.balances)


# The statements, built once per process (SQLAlchemy builds a statement and its cache key
# anew each time the code writing it runs); ``ids`` are the campaigns asked about.
_IDS: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)


@functools.cache
def _ledger_sums() -> sa.Select[int, int, int, int]:
    committed, spent, original = effective_sums()
    return (
        sa.select(LedgerEntry.campaign_id, LedgerEntry.organization_id, committed, spent)
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.campaign_id.in_(_IDS))
        .group_by(LedgerEntry.campaign_id, LedgerEntry.organization_id)
    )


@functools.cache
def _current_versions() -> sa.Select[int, int, int, int, bool]:
    latest = (
        sa.select(ClaimVersion.claim_id, sa.func.max(ClaimVersion.number).label("number"))
        .join(Claim, Claim.id == ClaimVersion.claim_id)
        .where(Claim.campaign_id.in_(_IDS))
        .group_by(ClaimVersion.claim_id)
        .subquery()
    )
    withdrawn = sa.exists().where(LedgerEntry.reverses_id == ClaimVersion.ledger_entry_id)
    return (
        sa.select(
            Claim.campaign_id, Claim.organization_id, ClaimVersion.id, ClaimVersion.amount_minor,
            withdrawn,
        )
        .join(latest, latest.c.claim_id == Claim.id)
        .join(
            ClaimVersion,
            sa.and_(ClaimVersion.claim_id == Claim.id, ClaimVersion.number == latest.c.number),
        )
    )  # fmt: skip


@functools.cache
def _answers() -> sa.Select[int, int, str]:
    return sa.select(
        ClaimResponse.claim_version_id, ClaimResponse.organization_id, ClaimResponse.kind
    ).where(ClaimResponse.claim_version_id.in_(sa.bindparam("versions", expanding=True)))


@functools.cache
def _parties() -> sa.Select[int, int, int]:
    return sa.select(
        CampaignParty.campaign_id, CampaignParty.organization_id, CampaignParty.budget_share_bp
    ).where(CampaignParty.campaign_id.in_(_IDS))


@functools.cache
def _confirmed_payments() -> sa.Select[int, int, int, int]:
    return (
        sa.select(
            Payment.campaign_id,
            Payment.from_organization_id,
            Payment.to_organization_id,
            Payment.amount_minor,
        )
        .join(PaymentResponse, PaymentResponse.payment_id == Payment.id)
        .where(Payment.campaign_id.in_(_IDS), PaymentResponse.kind == "confirmed")
        .order_by(Payment.id)
    )


def _ledger(ids: Sequence[int]) -> dict[int, dict[int, tuple[int, int]]]:
    """Campaign -> party -> (committed, live expenses), net of reversals."""
    out: dict[int, dict[int, tuple[int, int]]] = defaultdict(dict)
    for campaign_id, org, c, s in db.session.execute(_ledger_sums(), {"ids": list(ids)}):
        out[int(campaign_id)][int(org)] = (int(c), int(s))
    return out


def _claim_sums(
    ids: Sequence[int], parties: dict[int, dict[int, int]]
) -> dict[tuple[int, int], tuple[int, int]]:
    """(campaign, claimant) -> (confirmed, disputed) of the claims' current versions."""
    versions = db.session.execute(_current_versions(), {"ids": list(ids)}).all()
    answers: dict[int, dict[int, str]] = defaultdict(dict)
    for version_id, org, kind in db.session.execute(
        _answers(), {"versions": [v[2] for v in versions]}
    ):
        answers[int(version_id)][int(org)] = str(kind)
    sums: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0, 0])
    for campaign_id, org, version_id, amount, gone in versions:
        others = {p for p in parties.get(campaign_id, {}) if p != org}
        state = claim_state(withdrawn=bool(gone), others=others, answers=answers[version_id])
        if state is ClaimState.CONFIRMED:
            sums[(campaign_id, org)][0] += int(amount)
        elif state is ClaimState.DISPUTED:
            sums[(campaign_id, org)][1] += int(amount)
    return {key: (c, d) for key, (c, d) in sums.items()}


def positions(campaign_ids: Sequence[int]) -> dict[int, CampaignMoney]:
    """Each campaign's balances per party and its settlement (confirmed claims and confirmed
    payments only), as ``balances`` computes them for one campaign."""
    ids = list(campaign_ids)
    if not ids:
        return {}
    parties: dict[int, dict[int, int]] = defaultdict(dict)
    for campaign_id, org, share in db.session.execute(_parties(), {"ids": ids}):
        parties[int(campaign_id)][int(org)] = int(share)
    ledger = _ledger(ids)
    claimed = _claim_sums(ids, parties)
    payments: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for campaign_id, payer, payee, amount in db.session.execute(
        _confirmed_payments(), {"ids": ids}
    ):
        payments[int(campaign_id)].append((int(payer), int(payee), int(amount)))
    out = {}
    for campaign_id in ids:
        balances = {}
        for org, (committed, live) in ledger.get(campaign_id, {}).items():
            confirmed, disputed = claimed.get((campaign_id, org), (0, 0))
            balances[org] = PartyBalance(
                committed_minor=committed,
                confirmed_minor=confirmed,
                pending_minor=live - confirmed - disputed,
                disputed_minor=disputed,
                organization_id=org,
            )
        paid = {org: b.confirmed_minor for org, b in balances.items()}
        out[campaign_id] = CampaignMoney(
            balances, settle(paid, parties.get(campaign_id, {}), payments[campaign_id])
        )
    return out
