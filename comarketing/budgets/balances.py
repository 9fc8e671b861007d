"""What the ledger sums to: committed per party and per campaign, and its claims as confirmed,
pending and disputed (net of reversals); spend per service day, the settlement between the parties
(confirmed claims and confirmed payments only), and the entry list.

*Spent* means confirmed + pending claims: what counts against the commitments. Costs posted
from imported results are claims too (source 'metrics'); a live expense entry that belongs to
no claim (none is written any more; migration 0013 left placement-less ones) counts as pending."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from comarketing.accounts.models import Organization, User
from comarketing.budgets import spend
from comarketing.budgets.claim_states import (
    ClaimStatus,
    ClaimSums,
    claim_statuses,
    claim_sums,
    confirmed_payments,
)
from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.budgets.settlement import Settlement, settle
from comarketing.campaigns.models import CampaignParty, Placement
from comarketing.extensions import db


@dataclass(frozen=True)
class Totals:
    committed_minor: int
    confirmed_minor: int = 0
    pending_minor: int = 0
    disputed_minor: int = 0

    @property
    def spent_minor(self) -> int:
        """Confirmed + pending: what counts against the commitments."""
        return self.confirmed_minor + self.pending_minor

    @property
    def remaining_minor(self) -> int:
        return self.committed_minor - self.spent_minor


@dataclass(frozen=True)
class PartyBalance(Totals):
    organization_id: int = 0


def effective_sums() -> tuple[sa.ColumnElement[int], sa.ColumnElement[int], Any]:
    """SUM expressions for committed and spent, net of reversals (a reversal counts against
    the kind of the entry it reverses)."""
    original = aliased(LedgerEntry)
    kind = sa.case(
        (LedgerEntry.kind == EntryKind.REVERSAL.value, original.kind), else_=LedgerEntry.kind
    )
    signed = sa.case(
        (LedgerEntry.kind == EntryKind.REVERSAL.value, -LedgerEntry.amount_minor),
        else_=LedgerEntry.amount_minor,
    )
    committed = sa.func.coalesce(
        sa.func.sum(sa.case((kind == EntryKind.COMMITMENT.value, signed), else_=0)), 0
    )
    spent = sa.func.coalesce(
        sa.func.sum(sa.case((kind == EntryKind.EXPENSE.value, signed), else_=0)), 0
    )
    return committed, spent, original


def balances(
    campaign_id: int,
    statuses: list[ClaimStatus] | None = None,
    *,
    sums: dict[int, ClaimSums] | None = None,
) -> dict[int, PartyBalance]:
    """Committed, confirmed, pending and disputed per party: one SQL aggregate over the
    ledger, and the claims' states (``statuses`` when the caller has them already, or their
    ``sums`` per claimant: ``claim_states.claim_sums_in_sql``)."""
    committed, spent, original = effective_sums()
    rows = db.session.execute(
        sa.select(LedgerEntry.organization_id, committed, spent)
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.campaign_id == campaign_id)
        .group_by(LedgerEntry.organization_id)
    ).all()
    if sums is None:
        sums = claim_sums(claim_statuses(campaign_id) if statuses is None else statuses)
    result = {}
    for org, committed_minor, live_expenses in rows:
        claimed = sums.get(org, ClaimSums())
        result[org] = PartyBalance(
            committed_minor=int(committed_minor),
            confirmed_minor=claimed.confirmed_minor,
            pending_minor=int(live_expenses) - claimed.confirmed_minor - claimed.disputed_minor,
            disputed_minor=claimed.disputed_minor,
            organization_id=org,
        )
    return result


def campaign_totals(campaign_id: int) -> Totals:
    return totals_of(balances(campaign_id))


def totals_of(party_balances: dict[int, PartyBalance]) -> Totals:
    parties = party_balances.values()
    return Totals(
        committed_minor=sum(p.committed_minor for p in parties),
        confirmed_minor=sum(p.confirmed_minor for p in parties),
        pending_minor=sum(p.pending_minor for p in parties),
        disputed_minor=sum(p.disputed_minor for p in parties),
    )


def spend_by_day(campaign_id: int) -> list[tuple[date, int]]:
    """Spend per service day (confirmed + pending claims spread over their service periods),
    in date order: see ``budgets.spend``."""
    return spend.spend_by_day(campaign_id)


def settlement(
    campaign_id: int,
    party_balances: dict[int, PartyBalance] | None = None,
    *,
    shares: dict[int, int] | None = None,
) -> Settlement:
    """``shares``: each party's budget share (basis points), when the caller has read them."""
    if shares is None:
        shares = dict(
            db.session.execute(
                sa.select(CampaignParty.organization_id, CampaignParty.budget_share_bp).where(
                    CampaignParty.campaign_id == campaign_id
                )
            ).all()
        )
    if party_balances is None:
        party_balances = balances(campaign_id)
    paid = {org: b.confirmed_minor for org, b in party_balances.items()}
    return settle(paid, shares, confirmed_payments(campaign_id))


@dataclass
class EntryRow:
    entry: LedgerEntry
    party: str
    placement: str | None
    reversed: bool
    author: str | None


def ledger_size(campaign_id: int) -> int:
    """How many entries the campaign's ledger holds (for its pages)."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count(LedgerEntry.id)).where(LedgerEntry.campaign_id == campaign_id)
        )
        or 0
    )


def entries_after(campaign_id: int, entry_id: int) -> int:
    """How many of the campaign's entries are newer than ``entry_id`` (its 0-based place in
    the newest-first list)."""
    return int(
        db.session.scalar(
            sa.select(sa.func.count(LedgerEntry.id)).where(
                LedgerEntry.campaign_id == campaign_id, LedgerEntry.id > entry_id
            )
        )
        or 0
    )


def ledger(campaign_id: int, limit: int = 500, offset: int = 0) -> list[EntryRow]:
    """The latest entries (after skipping ``offset``) with their names, in one query."""
    reversed_ids = sa.select(LedgerEntry.reverses_id).where(
        LedgerEntry.campaign_id == campaign_id, LedgerEntry.reverses_id.is_not(None)
    )
    rows = db.session.execute(
        sa.select(
            LedgerEntry,
            Organization.name,
            Placement.name,
            User.name,
            LedgerEntry.id.in_(reversed_ids),
        )
        .join(Organization, Organization.id == LedgerEntry.organization_id)
        .outerjoin(Placement, Placement.id == LedgerEntry.placement_id)
        .outerjoin(User, User.id == LedgerEntry.created_by_id)
        .where(LedgerEntry.campaign_id == campaign_id)
        .order_by(LedgerEntry.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return [
        EntryRow(e, party, placement, bool(rev), author)
        for e, party, placement, author, rev in rows
    ]
