"""Co-branded collateral: assets of a campaign (or drafts on an offer, which join the campaign
the offer becomes), their versions, creative reviews, every download or open, and requests for
new materials."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model


class ReviewStatus(StrEnum):
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    READY = "ready"

    @property
    def label(self) -> str:
        return {
            "in_review": "In review",
            "changes_requested": "Changes requested",
            "ready": "Ready",
        }[self.value]


class Audience(StrEnum):
    SALES = "sales"
    CUSTOMERS = "customers"

    @property
    def label(self) -> str:
        return {"sales": "For sales", "customers": "For customers"}[self.value]


class AssetKind(StrEnum):
    FILE = "file"
    LINK = "link"


class ReviewDecision(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"

    @property
    def label(self) -> str:
        return {"approved": "Approved", "changes_requested": "Changes requested"}[self.value]


class UsageAction(StrEnum):
    DOWNLOAD = "download"
    OPEN = "open"


class RequestStatus(StrEnum):
    OPEN = "open"
    TAKEN = "taken"
    DELIVERED = "delivered"


class CollateralAsset(Model):
    __tablename__ = "collateral_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    # NULL while the asset is a draft on an offer that is not (yet) a campaign.
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    # The offer it was drafted on; kept once the offer's campaign adopted it (provenance).
    offer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="CASCADE"), index=True
    )
    # The organization whose user created the asset.
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    audience: Mapped[str] = mapped_column(sa.String(12))
    status: Mapped[str] = mapped_column(sa.String(20), default=ReviewStatus.IN_REVIEW.value)
    current_version_number: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When every party approved the current version; cleared by a new version.
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped by every change: two simultaneous reviewers cannot both win (the loser gets 409).
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        sa.CheckConstraint("kind IN ('file', 'link')", name="kind_known"),
        sa.CheckConstraint("audience IN ('sales', 'customers')", name="audience_known"),
        sa.CheckConstraint(
            "status IN ('in_review', 'changes_requested', 'ready')", name="status_known"
        ),
        sa.CheckConstraint(
            "campaign_id IS NOT NULL OR offer_id IS NOT NULL", name="campaign_or_offer"
        ),
    )


class CollateralAssetParty(Model):
    """An organization the asset belongs to (co-branded by it); each must approve a version."""

    __tablename__ = "collateral_asset_parties"

    asset_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collateral_assets.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class CollateralVersion(Model):
    """One version of an asset: a stored file (by SHA-256) or a link. Never changed once made."""

    __tablename__ = "collateral_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("collateral_assets.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column()
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    author_organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    note: Mapped[str] = mapped_column(sa.Text, default="")
    file_hash: Mapped[str | None] = mapped_column(sa.String(64))
    file_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    media_type: Mapped[str | None] = mapped_column(sa.String(100))
    # The client's file name, cleaned, for display and the download name only.
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    link_url: Mapped[str | None] = mapped_column(sa.String(1000))
    # A small WebP of an image, made at upload and shown inline as a data: URL.
    thumbnail: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    review_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    overdue_notice_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.UniqueConstraint("asset_id", "number", name="uq_collateral_versions_asset_number"),
        sa.CheckConstraint(
            "(file_hash IS NOT NULL) OR (link_url IS NOT NULL)", name="file_or_link"
        ),
    )


class CollateralReview(Model):
    """One party's decision on one version. A new version starts with none."""

    __tablename__ = "collateral_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collateral_assets.id", ondelete="CASCADE"), index=True
    )
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collateral_versions.id", ondelete="CASCADE")
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decision: Mapped[str] = mapped_column(sa.String(20))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # True when making the version counted as its author's approval.
    implicit: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint(
            "version_id", "organization_id", name="uq_collateral_reviews_version_party"
        ),
        sa.CheckConstraint("decision IN ('approved', 'changes_requested')", name="decision_known"),
    )


class CollateralUsage(Model):
    """One download or open of an asset by a user."""

    __tablename__ = "collateral_usage"

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("collateral_assets.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collateral_versions.id", ondelete="CASCADE")
    )
    # Copied from the asset so reports group by campaign without a join per row; NULL for a
    # draft on an offer until the offer's campaign adopts it (then set on its earlier rows too).
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("action IN ('download', 'open')", name="action_known"),
        sa.Index("ix_collateral_usage_asset_org", "asset_id", "organization_id"),
    )


class CollateralRequest(Model):
    """A party's request for a new material; the marketing side takes it and links the asset."""

    __tablename__ = "collateral_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(12), default=RequestStatus.OPEN.value)
    taken_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    taken_by_organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="SET NULL")
    )
    asset_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("collateral_assets.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'taken', 'delivered')", name="status_known"),
    )


class CollateralRequestVote(Model):
    """A +1 on a request: once per user."""

    __tablename__ = "collateral_request_votes"

    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("collateral_requests.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
