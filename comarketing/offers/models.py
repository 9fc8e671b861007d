"""Joint offers: parties, immutable numbered revisions of the terms, decisions, comments."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model
from comarketing.policy import Role


class OfferStatus(StrEnum):
    DRAFT = "draft"
    SENT = "sent"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Decision(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {
            "approved": "Approved",
            "changes_requested": "Changes requested",
            "rejected": "Rejected",
        }[self.value]


def role_label(role: str | None) -> str:
    """How a decider's recorded role reads ("role not recorded" for decisions before 0012)."""
    if role is None:
        return "role not recorded"
    try:
        return Role(role).label.lower()
    except ValueError:  # pragma: no cover - the database constrains the column
        return role


class Offer(Model):
    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposer_organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(12), default=OfferStatus.DRAFT.value)
    current_revision_number: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Optional: an offer still undecided at this moment closes as expired.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cloned_from_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="SET NULL")
    )
    # Bumped by every change: two simultaneous writers cannot both commit (the loser gets 409).
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('draft', 'sent', 'approved', 'rejected', 'withdrawn', 'expired')",
            name="status_known",
        ),
    )


class OfferParty(Model):
    """An organization taking part in an offer. Visibility of an offer is decided here."""

    __tablename__ = "offer_parties"

    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class OfferRevision(Model):
    """The terms of an offer as proposed at one moment. Never changed once sent."""

    __tablename__ = "offer_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    author_organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    change_note: Mapped[str] = mapped_column(sa.Text, default="")
    title: Mapped[str] = mapped_column(sa.String(200))
    value_proposition: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[str] = mapped_column(sa.Text, default="")
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    currency: Mapped[str] = mapped_column(sa.String(3))
    total_budget_minor: Mapped[int] = mapped_column(sa.BigInteger)
    target_reach: Mapped[int | None] = mapped_column(sa.BigInteger)
    target_leads: Mapped[int | None] = mapped_column(sa.BigInteger)
    target_revenue_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    # [{"organization_id", "product_ids": [...], "budget_share_bp", "revenue_share_bp"}]
    party_terms: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    # [{"channel", "owner_organization_id", "name", "planned_cost_minor"}]
    placements: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The author company's "four eyes" setting when this revision was sent: its proposer's own
    # approval then needs a second approver of that company (``approvals.py``). Kept with the
    # revision so changing the setting later never strands or completes a pending review.
    four_eyes: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    overdue_notice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("offer_id", "number", name="uq_offer_revisions_offer_number"),
        sa.CheckConstraint("end_date >= start_date", name="dates_ordered"),
        sa.CheckConstraint("total_budget_minor >= 0", name="budget_not_negative"),
    )


class OfferDecision(Model):
    """A decision for one party on one revision, by one of its deciders (``approvals.py``).

    Per party and revision: at most one implicit approval (an approver or admin who proposed
    the revision) and at most one explicit decision (approve, request changes, reject). A new
    revision starts with none."""

    __tablename__ = "offer_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), index=True
    )
    revision_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offer_revisions.id", ondelete="CASCADE")
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(sa.String(20))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # True when sending or counter-proposing counted as the author's approval.
    implicit: Mapped[bool] = mapped_column(default=False)
    # The decider's role when deciding (admin or approver); NULL for decisions recorded before
    # roles were (migration 0012): shown as "role not recorded", never guessed.
    decider_role: Mapped[str | None] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def role_label(self) -> str:
        return role_label(self.decider_role)

    __table_args__ = (
        sa.UniqueConstraint(
            "revision_id",
            "organization_id",
            "implicit",
            name="uq_offer_decisions_revision_party_kind",
        ),
        sa.CheckConstraint(
            "decision IN ('approved', 'changes_requested', 'rejected')", name="decision_known"
        ),
        sa.CheckConstraint(
            "decider_role IS NULL OR decider_role IN ('admin', 'approver')",
            name="decider_role_known",
        ),
        sa.CheckConstraint("NOT implicit OR decision = 'approved'", name="implicit_is_approval"),
    )


class OfferComment(Model):
    __tablename__ = "offer_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OfferEvent(Model):
    """The offer's history as all parties see it (the audit log keeps the full record)."""

    __tablename__ = "offer_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(40))
    revision_number: Mapped[int | None] = mapped_column()
    summary: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
