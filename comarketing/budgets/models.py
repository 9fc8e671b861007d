"""The budget ledger: append-only entries per campaign. Balances are derived, never stored."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model


class EntryKind(StrEnum):
    COMMITMENT = "commitment"
    EXPENSE = "expense"
    REVERSAL = "reversal"


class LedgerEntry(Model):
    """Never updated, never deleted: corrections are reversal entries. PostgreSQL enforces it
    with a trigger (migration 0003); the ORM refuses it on every backend."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True
    )
    # The party the money belongs to: who commits, or who paid.
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    kind: Mapped[str] = mapped_column(sa.String(12))
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    placement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("placements.id", ondelete="RESTRICT")
    )
    reverses_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("ledger_entries.id", ondelete="RESTRICT"), unique=True
    )
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    # The day the money was committed or spent (for burn over time); defaults to the posting day.
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    # Set when an admin posted past the budget guard or for another party: why.
    override_reason: Mapped[str | None] = mapped_column(sa.String(500))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # 'metrics' for an expense posted from an import's daily cost: at most one live such entry
    # per placement and day, so loading the day again reverses and re-posts instead of doubling.
    source: Mapped[str] = mapped_column(sa.String(8), default="manual", server_default="manual")

    __table_args__ = (
        sa.CheckConstraint("source IN ('manual', 'metrics')", name="source_known"),
        # Finds the live imported-cost entry of a placement and day.
        sa.Index("ix_ledger_entries_placement_day", "placement_id", "occurred_on"),
        sa.CheckConstraint("kind IN ('commitment', 'expense', 'reversal')", name="kind_known"),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint(
            "(kind = 'reversal') = (reverses_id IS NOT NULL)", name="reversal_names_entry"
        ),
    )


@sa.event.listens_for(LedgerEntry, "before_update")
def _refuse_update(mapper: object, connection: object, target: LedgerEntry) -> None:
    raise AppendOnlyViolation("ledger entries cannot be changed; post a reversal instead")


@sa.event.listens_for(LedgerEntry, "before_delete")
def _refuse_delete(mapper: object, connection: object, target: LedgerEntry) -> None:
    raise AppendOnlyViolation("ledger entries cannot be deleted; post a reversal instead")


class AppendOnlyViolation(RuntimeError):
    """A programming error: something tried to rewrite the ledger."""
