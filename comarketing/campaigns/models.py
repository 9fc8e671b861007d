"""Campaigns (joint or solo), their parties and the placements they run in."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model


class CampaignKind(StrEnum):
    JOINT = "joint"
    SOLO = "solo"


class CampaignStatus(StrEnum):
    PLANNED = "planned"
    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Channel(StrEnum):
    EMAIL = "email"
    SOCIAL = "social"
    SEARCH = "search"
    DISPLAY = "display"
    PACKAGING = "packaging"
    RETAIL = "retail"
    EVENT = "event"
    WEBINAR = "webinar"
    CONTENT = "content"
    PARTNER_NEWSLETTER = "partner_newsletter"
    OTHER = "other"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


CHANNEL_CHOICES = [(c.value, c.label) for c in Channel]


class Campaign(Model):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(8))
    # Solo: the owner. Joint: the organization that proposed the offer.
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    # The approved offer a joint campaign came from (offers sit to the right: FK by name only).
    offer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("offers.id", ondelete="SET NULL"), unique=True
    )
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(12), default=CampaignStatus.PLANNED.value)
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    currency: Mapped[str] = mapped_column(sa.String(3))
    total_budget_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    target_reach: Mapped[int | None] = mapped_column(sa.BigInteger)
    target_leads: Mapped[int | None] = mapped_column(sa.BigInteger)
    target_revenue_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    # People the campaign could reach at most (issue 7): the base of the random-duplication
    # estimate of combined reach where no audience identifiers were given.
    target_universe: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Which spend threshold (80 or 100 % of commitments) was last announced to the parties.
    spend_alert_level: Mapped[int] = mapped_column(default=0, server_default="0")

    __table_args__ = (
        sa.CheckConstraint("kind IN ('joint', 'solo')", name="kind_known"),
        sa.CheckConstraint(
            "status IN ('planned', 'active', 'completed', 'cancelled')", name="status_known"
        ),
        sa.CheckConstraint("end_date >= start_date", name="dates_ordered"),
        sa.CheckConstraint("total_budget_minor >= 0", name="budget_not_negative"),
    )


class CampaignParty(Model):
    """An organization taking part in a campaign, with its agreed shares (basis points)."""

    __tablename__ = "campaign_parties"

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    budget_share_bp: Mapped[int] = mapped_column(default=10_000)
    revenue_share_bp: Mapped[int] = mapped_column(default=10_000)


class Placement(Model):
    __tablename__ = "placements"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    owner_organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    channel: Mapped[str] = mapped_column(sa.String(24))
    name: Mapped[str] = mapped_column(sa.String(200))
    url: Mapped[str] = mapped_column(sa.String(500), default="")
    start_date: Mapped[date] = mapped_column(sa.Date)
    end_date: Mapped[date] = mapped_column(sa.Date)
    planned_cost_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    audience_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The platform's own deduplicated reach over the placement's whole flight (start_date to
    # end_date): people, not person-days. None: not reported.
    flight_reach: Mapped[int | None] = mapped_column(sa.BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="dates_ordered"),
        sa.CheckConstraint("planned_cost_minor >= 0", name="cost_not_negative"),
        sa.CheckConstraint("flight_reach >= 0", name="flight_reach_not_negative"),
        # Reports read the placements with a flight reach, a minority, from this alone.
        sa.Index(
            "ix_placements_flight_reach",
            "campaign_id",
            postgresql_where=sa.text("flight_reach IS NOT NULL"),
            sqlite_where=sa.text("flight_reach IS NOT NULL"),
        ),
    )


class MilestoneKind(StrEnum):
    LAUNCH = "launch"
    CREATIVE_DUE = "creative_due"
    GO_LIVE = "go_live"
    WRAP_UP = "wrap_up"
    REVIEW = "review"
    # A day no placement of the campaign may run (an embargo, a recall, a partner's quiet day):
    # another party's placement on it is a clash (campaigns.clashes). Marking it done lifts it.
    BLACKOUT = "blackout"
    OTHER = "other"

    @property
    def label(self) -> str:
        if self is MilestoneKind.BLACKOUT:
            return "Blackout (no placements)"
        return self.value.replace("_", " ").capitalize()


class Milestone(Model):
    __tablename__ = "milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(16), default=MilestoneKind.OTHER.value)
    title: Mapped[str] = mapped_column(sa.String(200))
    owner_organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    due_on: Mapped[date] = mapped_column(sa.Date, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CalendarFeed(Model):
    """A user's private iCalendar feed. The URL carries a random token (calendar apps cannot
    send a session); only its hash is stored, and revoking it ends the old URL at once."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PlacementName(Model):
    """A name or id a platform shows for a placement (a Meta campaign name, a Google campaign
    id ...): rows of a results file match these first, then the placement's own name. The
    folded form is unique within the campaign, so a name always means one placement."""

    __tablename__ = "placement_names"

    id: Mapped[int] = mapped_column(primary_key=True)
    placement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("placements.id", ondelete="CASCADE"), index=True
    )
    # Copied from the placement: the uniqueness below is per campaign.
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    platform: Mapped[str] = mapped_column(sa.String(40), default="")  # "Meta", optional
    name: Mapped[str] = mapped_column(sa.String(200))  # as the user gave it
    # NFKC, case-folded, spaces collapsed (campaigns.platform_names.fold_name).
    folded: Mapped[str] = mapped_column(sa.String(400))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("campaign_id", "folded"),)


class DataVersion(Model):
    """A counter per company that every write to its campaigns, placements, results, ledger,
    claims or audiences raises in the same transaction (``campaigns.data_version``): cached
    report figures are keyed by it, so a cached figure is never older than the data."""

    __tablename__ = "data_versions"

    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(sa.BigInteger, default=0)
