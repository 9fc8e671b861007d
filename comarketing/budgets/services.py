"""The budget ledger. Entries are only ever added; balances are sums over them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from comarketing.budgets.models import EntryKind, LedgerEntry
from comarketing.extensions import db


def record_commitments(
    *,
    campaign_id: int,
    currency: str,
    amounts: dict[int, int],
    created_by_id: int | None,
    note: str,
) -> list[LedgerEntry]:
    """One commitment per party with a positive amount, in the caller's transaction."""
    entries = [
        LedgerEntry(
            campaign_id=campaign_id,
            organization_id=organization_id,
            kind=EntryKind.COMMITMENT.value,
            amount_minor=amount,
            currency=currency,
            created_by_id=created_by_id,
            note=note,
        )
        for organization_id, amount in sorted(amounts.items())
        if amount > 0
    ]
    db.session.add_all(entries)
    db.session.flush()
    return entries


@dataclass(frozen=True)
class PartyBalance:
    organization_id: int
    committed_minor: int
    spent_minor: int

    @property
    def remaining_minor(self) -> int:
        return self.committed_minor - self.spent_minor


def balances(campaign_id: int) -> dict[int, PartyBalance]:
    """Committed and spent per party, net of reversals — one SQL aggregate."""
    original = sa.orm.aliased(LedgerEntry)
    effective_kind = sa.case(
        (LedgerEntry.kind == EntryKind.REVERSAL.value, original.kind), else_=LedgerEntry.kind
    )
    signed = sa.case(
        (LedgerEntry.kind == EntryKind.REVERSAL.value, -LedgerEntry.amount_minor),
        else_=LedgerEntry.amount_minor,
    )
    rows = db.session.execute(
        sa.select(
            LedgerEntry.organization_id,
            sa.func.coalesce(
                sa.func.sum(
                    sa.case((effective_kind == EntryKind.COMMITMENT.value, signed), else_=0)
                ),
                0,
            ),
            sa.func.coalesce(
                sa.func.sum(sa.case((effective_kind == EntryKind.EXPENSE.value, signed), else_=0)),
                0,
            ),
        )
        .outerjoin(original, original.id == LedgerEntry.reverses_id)
        .where(LedgerEntry.campaign_id == campaign_id)
        .group_by(LedgerEntry.organization_id)
    ).all()
    return {org: PartyBalance(org, int(committed), int(spent)) for org, committed, spent in rows}
