"""Partnerships between organizations, and the products each organization sells."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model


class PartnershipStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    ENDED = "ended"


class Partnership(Model):
    """An invitation from one organization to another, and — once accepted — their agreement
    to market together. ``invitee_organization_id`` is empty while the invited company is not
    on the platform yet; it is filled when the recipient creates the company's account."""

    __tablename__ = "partnerships"

    id: Mapped[int] = mapped_column(primary_key=True)
    inviter_organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    invitee_organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    invitee_email: Mapped[str] = mapped_column(sa.String(254))
    status: Mapped[str] = mapped_column(sa.String(12), default=PartnershipStatus.PENDING.value)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    # Only for a company not on the platform yet: the single-use sign-up link's hash.
    join_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    responded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    ended_by_organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'active', 'declined', 'cancelled', 'ended')", name="status_known"
        ),
        sa.CheckConstraint(
            "invitee_organization_id IS NULL OR invitee_organization_id != inviter_organization_id",
            name="not_self",
        ),
    )

    def party_ids(self) -> tuple[int, int | None]:
        return (self.inviter_organization_id, self.invitee_organization_id)

    def other_party_id(self, organization_id: int) -> int | None:
        if organization_id == self.inviter_organization_id:
            return self.invitee_organization_id
        return self.inviter_organization_id

    @property
    def is_expired(self) -> bool:
        return self.status == PartnershipStatus.PENDING and self.expires_at <= utcnow()


class Product(Model):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(120))
    category: Mapped[str] = mapped_column(sa.String(80), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None
