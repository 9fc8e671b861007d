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


# ---------------------------------------------------------------------------------------------
# Claims and payments (issue 14). Every row below is written once and never changed: a claim's
# state is derived from its versions, their responses and whether their entries were reversed.


class ClaimSource(StrEnum):
    MANUAL = "manual"
    METRICS = "metrics"


class Claim(Model):
    """An expense one party paid and asks the others to share; its terms live in versions."""

    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True
    )
    # The claimant: the party that paid.
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    placement_id: Mapped[int] = mapped_column(sa.ForeignKey("placements.id", ondelete="RESTRICT"))
    source: Mapped[str] = mapped_column(sa.String(8), default="manual", server_default="manual")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.CheckConstraint("source IN ('manual', 'metrics')", name="source_known"),)


class ClaimVersion(Model):
    """One set of terms of a claim. Each version posted its own expense entry; a newer version
    or a withdrawal reversed it. Confirmations belong to one version."""

    __tablename__ = "claim_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(sa.ForeignKey("claims.id", ondelete="RESTRICT"))
    number: Mapped[int]
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    service_from: Mapped[date] = mapped_column(sa.Date)
    service_to: Mapped[date] = mapped_column(sa.Date)
    paid_on: Mapped[date] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    ledger_entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ledger_entries.id", ondelete="RESTRICT"), unique=True
    )
    # For a cost posted from results (claim source 'metrics'): the metric import that carried
    # this version's cost -- its proof. Empty for manual claims, and for the imported costs
    # migration 0013 turned into claims (migration 0014 assumes nothing about them).
    metric_import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("metric_imports.id", ondelete="RESTRICT")
    )
    # When the other parties' silence counts as confirmation (the longest window of the
    # parties, in business days from the version's creation); None on a solo campaign.
    confirm_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("claim_id", "number"),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint("service_from <= service_to", name="service_period_ordered"),
    )


class ClaimProof(Model):
    """A file (invoice, receipt) behind one version, stored by its SHA-256."""

    __tablename__ = "claim_proofs"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("claim_versions.id", ondelete="RESTRICT"), index=True
    )
    sha256: Mapped[str] = mapped_column(sa.String(64))
    filename: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ResponseKind(StrEnum):
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    AUTO_CONFIRMED = "auto_confirmed"


class ClaimResponse(Model):
    """One party's answer to one version: confirmed, disputed (with a reason), or confirmed by
    its silence once the window passed (written by the deadlines run, ``user_id`` empty)."""

    __tablename__ = "claim_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("claim_versions.id", ondelete="RESTRICT")
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("claim_version_id", "organization_id"),
        sa.CheckConstraint(
            "kind IN ('confirmed', 'disputed', 'auto_confirmed')", name="kind_known"
        ),
        sa.CheckConstraint("kind != 'disputed' OR reason != ''", name="dispute_has_reason"),
    )


class Payment(Model):
    """Money one party says it paid another to square a campaign; counts once the receiver
    confirmed it."""

    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True
    )
    from_organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    to_organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="RESTRICT")
    )
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    paid_on: Mapped[date] = mapped_column(sa.Date)
    reference: Mapped[str] = mapped_column(sa.String(200), default="")
    proof_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    proof_filename: Mapped[str | None] = mapped_column(sa.String(200))
    proof_content_type: Mapped[str | None] = mapped_column(sa.String(100))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
        sa.CheckConstraint("from_organization_id != to_organization_id", name="two_parties"),
    )


class PaymentResponse(Model):
    """The receiver's answer: received (confirmed) or not (rejected, with a reason)."""

    __tablename__ = "payment_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("payments.id", ondelete="RESTRICT"), unique=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('confirmed', 'rejected')", name="kind_known"),
        sa.CheckConstraint("kind != 'rejected' OR reason != ''", name="rejection_has_reason"),
    )


APPEND_ONLY_MODELS = (Claim, ClaimVersion, ClaimProof, ClaimResponse, Payment, PaymentResponse)


def _refuse_change(mapper: object, connection: object, target: object) -> None:
    raise AppendOnlyViolation(f"{type(target).__name__} rows are written once, never changed")


for _model in APPEND_ONLY_MODELS:
    sa.event.listen(_model, "before_update", _refuse_change)
    sa.event.listen(_model, "before_delete", _refuse_change)


class CountedSpend(Model):
    """Derived, never the truth: one row per claim version that counts as spend now
    (``spend.counts_as_spend``: its entry not reversed, no party disputed it), with its
    campaign, placement, service period and amount -- so a report reads spend from one index
    instead of joining claims, versions, reversals and answers. Written in the transaction of
    the write that changes it (``budgets.counted``); a test holds it equal to the condition."""

    __tablename__ = "counted_spend"

    claim_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("claim_versions.id", ondelete="CASCADE"), primary_key=True
    )
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    placement_id: Mapped[int] = mapped_column(sa.ForeignKey("placements.id", ondelete="CASCADE"))
    service_from: Mapped[date] = mapped_column(sa.Date)
    service_to: Mapped[date] = mapped_column(sa.Date)
    amount_minor: Mapped[int] = mapped_column(sa.BigInteger)

    __table_args__ = (
        # Every column a report reads, so the search never visits the table.
        sa.Index(
            "ix_counted_spend_campaign_period",
            "campaign_id",
            "service_from",
            "service_to",
            "placement_id",
            "amount_minor",
            "claim_version_id",
        ),
    )
