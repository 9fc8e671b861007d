"""Keeping ``counted_spend`` (the claim versions that count as spend now) in step.

Claims, versions, answers and ledger entries are written once and never changed, so a version
starts to count when it is written and stops for good when its entry is reversed (a revision
or a withdrawal) or a party disputes it (``spend.counts_as_spend``). After every flush, in the
same transaction: the versions just written are added, those whose entry a new reversal names
or that a new answer disputes are removed. Every money write goes through the ORM, so this one
hook sees them all; ``tests/unit/test_counted_spend.py`` holds the table equal to the
condition after each kind of write, and migration 0033 filled it from the condition.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.session import Session

from comarketing.budgets.models import (
    Claim,
    ClaimResponse,
    ClaimVersion,
    CountedSpend,
    LedgerEntry,
    ResponseKind,
)
from comarketing.budgets.spend import counts_as_spend


def counted_versions() -> sa.Select[int, int, int, date, date, int]:
    """What the table holds, from the condition: each counted version's row."""
    return (
        sa.select(
            ClaimVersion.id,
            Claim.campaign_id,
            Claim.placement_id,
            ClaimVersion.service_from,
            ClaimVersion.service_to,
            ClaimVersion.amount_minor,
        )
        .join(Claim, Claim.id == ClaimVersion.claim_id)
        .where(counts_as_spend())
    )


def fill_statement(versions: sa.ColumnElement[bool] | None = None) -> sa.Insert:
    """INSERT ... SELECT of the versions (all, or those ``versions`` selects) that count."""
    rows = counted_versions()
    if versions is not None:
        rows = rows.where(versions)
    return sa.insert(CountedSpend).from_select(
        [
            "claim_version_id",
            "campaign_id",
            "placement_id",
            "service_from",
            "service_to",
            "amount_minor",
        ],
        rows,
    )


def _keep_in_step(session: Any, _context: Any) -> None:
    written: list[int] = []
    reversed_entries: list[int] = []
    disputed: list[int] = []
    for obj in session.new:
        if isinstance(obj, ClaimVersion):
            written.append(obj.id)
        elif isinstance(obj, LedgerEntry) and obj.reverses_id is not None:
            reversed_entries.append(obj.reverses_id)
        elif isinstance(obj, ClaimResponse) and obj.kind == ResponseKind.DISPUTED:
            disputed.append(obj.claim_version_id)
    if not (written or reversed_entries or disputed):
        return
    connection = session.connection()
    # In batches: an import posting a cost per day may write tens of thousands at once, more
    # than a statement may carry parameters.
    for ids in _batches(written):  # the condition is read in SQL: a version reversed or
        connection.execute(fill_statement(ClaimVersion.id.in_(ids)))  # disputed now stays out
    for ids in _batches(reversed_entries):
        stopped = sa.select(ClaimVersion.id).where(ClaimVersion.ledger_entry_id.in_(ids))
        connection.execute(
            sa.delete(CountedSpend).where(CountedSpend.claim_version_id.in_(stopped))
        )
    for ids in _batches(disputed):
        connection.execute(sa.delete(CountedSpend).where(CountedSpend.claim_version_id.in_(ids)))


BATCH = 10_000


def _batches(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + BATCH] for i in range(0, len(ids), BATCH)]


def install() -> None:
    """Listen on every session of the app (once per process, from ``create_app``)."""
    if not sa.event.contains(Session, "after_flush", _keep_in_step):
        sa.event.listen(Session, "after_flush", _keep_in_step)
