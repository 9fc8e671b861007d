"""Daily results per placement, the history of every import, and saved column mappings."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model

# The figures a day carries, in storage order. Counts are whole numbers; conversions are
# stored exactly to two decimals as whole hundredths (attribution models report 2.47); the
# *_minor ones are money in the campaign's currency. Every figure may be NULL: not reported
# (a column the export lacks, a blank cell, "--", a JSON null), which is not zero.
COUNT_FIELDS = ("impressions", "reach", "clicks", "leads")
HUNDREDTHS_FIELDS = ("conversions_hundredths",)
MONEY_FIELDS = ("revenue_minor", "cost_minor")
VALUE_FIELDS = COUNT_FIELDS + HUNDREDTHS_FIELDS + MONEY_FIELDS
# The rollup's count of days reporting each figure, named after the figure's stem.
DAYS_FIELDS = {
    "impressions": "impressions_days",
    "reach": "reach_days",
    "clicks": "clicks_days",
    "leads": "leads_days",
    "conversions_hundredths": "conversions_days",
    "revenue_minor": "revenue_days",
    "cost_minor": "cost_days",
}


NOT_NEGATIVE = " AND ".join(f"{name} >= 0" for name in VALUE_FIELDS)


class DailyMetric(Model):
    """One row per placement and day: loading the day again replaces it."""

    __tablename__ = "daily_metrics"

    placement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("placements.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    # Copied from the placement so reports group by campaign without a join per row. Looked
    # up through ix_daily_metrics_campaign_day (campaign_id first): no index of its own, which
    # would cost every stored day one more B-tree insert (migration 0032).
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    # NULL: not reported that day (not zero).
    impressions: Mapped[int | None] = mapped_column(sa.BigInteger)
    reach: Mapped[int | None] = mapped_column(sa.BigInteger)
    clicks: Mapped[int | None] = mapped_column(sa.BigInteger)
    leads: Mapped[int | None] = mapped_column(sa.BigInteger)
    conversions_hundredths: Mapped[int | None] = mapped_column(sa.BigInteger)
    revenue_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    cost_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    # The import (form, file or API batch) that last wrote the day.
    import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("metric_imports.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            NOT_NEGATIVE,
            name="not_negative",
        ),
        # Only when both are reported (a comparison with NULL does not fail a CHECK).
        sa.CheckConstraint("reach <= impressions", name="reach_within_impressions"),
        # Reports read the days at the edges of a period, by campaign.
        sa.Index("ix_daily_metrics_campaign_day", "campaign_id", "day"),
    )


class MetricRollup(Model):
    """The sums of a placement's daily rows per month, changed in the same transaction as
    every write of those rows: reports read it instead of scanning the days."""

    __tablename__ = "metric_rollups"

    placement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("placements.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)  # its first day
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    days: Mapped[int] = mapped_column(default=0)  # daily rows in the month
    # Sums of the reported values only (a NULL day adds nothing)...
    impressions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    reach: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    leads: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    conversions_hundredths: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    revenue_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cost_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # ...and how many of the month's days reported each figure (DAYS_FIELDS).
    impressions_days: Mapped[int] = mapped_column(default=0)
    reach_days: Mapped[int] = mapped_column(default=0)
    clicks_days: Mapped[int] = mapped_column(default=0)
    leads_days: Mapped[int] = mapped_column(default=0)
    conversions_days: Mapped[int] = mapped_column(default=0)
    revenue_days: Mapped[int] = mapped_column(default=0)
    cost_days: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.Index("ix_metric_rollups_campaign_month", "campaign_id", "month"),)


class ImportSource(StrEnum):
    FORM = "form"
    FILE = "file"
    API = "api"
    MAIL = "mail"  # an attachment mailed to the campaign's intake address (metrics.intake)


class ImportStatus(StrEnum):
    PREVIEW = "preview"  # uploaded, waiting for the user to check the mapping and confirm
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # bad rows or an unreadable file: nothing was stored
    DUPLICATE = "duplicate"  # the very same file was imported before: nothing was stored
    DISCARDED = "discarded"

    @property
    def finished(self) -> bool:
        return self in FINISHED


FINISHED = frozenset(
    {ImportStatus.SUCCEEDED, ImportStatus.FAILED, ImportStatus.DUPLICATE, ImportStatus.DISCARDED}
)


class MetricImport(Model):
    """Every write of daily metrics, whatever its source: who, when, which file, the outcome."""

    __tablename__ = "metric_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(12))
    # What the user called the file, cleaned, for display only: files are stored by hash.
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    file_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    file_size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    file_format: Mapped[str] = mapped_column(sa.String(8), default="")
    # The campaign a file was uploaded for: its rows match that campaign's placements only.
    # Empty for imports made before uploads were per campaign, and for the grid and the API.
    campaign_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="SET NULL")
    )
    # The reading settings the user confirmed: header row, delimiter, column mapping, date
    # order, placement, whether to post costs to the ledger.
    settings: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_written: Mapped[int] = mapped_column(default=0)
    rows_replaced: Mapped[int] = mapped_column(default=0)
    rows_unchanged: Mapped[int] = mapped_column(default=0)
    rows_skipped: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    # The first errors found (row, column, value, reason); error_count says how many in all.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    costs_posted_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # For a file that came by mail: the sender address it was accepted from.
    sender: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint("source IN ('form', 'file', 'api', 'mail')", name="source_known"),
        sa.CheckConstraint(
            "status IN ('preview', 'queued', 'running', 'succeeded', 'failed', 'duplicate', "
            "'discarded')",
            name="status_known",
        ),
    )


class ReplacedDay(Model):
    """The values a day had before an import replaced them, so the replacement can be undone
    by importing them back."""

    __tablename__ = "metric_replaced_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(
        sa.ForeignKey("metric_imports.id", ondelete="CASCADE"), index=True
    )
    placement_id: Mapped[int] = mapped_column(sa.ForeignKey("placements.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(sa.Date)
    impressions: Mapped[int | None] = mapped_column(sa.BigInteger)
    reach: Mapped[int | None] = mapped_column(sa.BigInteger)
    clicks: Mapped[int | None] = mapped_column(sa.BigInteger)
    leads: Mapped[int | None] = mapped_column(sa.BigInteger)
    conversions_hundredths: Mapped[int | None] = mapped_column(sa.BigInteger)
    revenue_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    cost_minor: Mapped[int | None] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    # The import that had written the replaced values.
    previous_import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("metric_imports.id", ondelete="SET NULL")
    )


class ColumnMapping(Model):
    """How an organization's export with these columns maps to our fields, remembered so the
    same export maps itself next time."""

    __tablename__ = "metric_column_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    # SHA-256 of the normalised header names, in order.
    signature: Mapped[str] = mapped_column(sa.String(64))
    mapping: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("organization_id", "signature"),)


class GoalKind(StrEnum):
    REACH = "reach"
    LEADS = "leads"
    REVENUE = "revenue"


class CampaignGoalEvent(Model):
    """A campaign reached one of its goals (reach, leads or revenue totals at or past the
    target): recorded once, so the parties are told once however often the days are loaded."""

    __tablename__ = "campaign_goal_events"

    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    goal: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    reached_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("goal IN ('reach', 'leads', 'revenue')", name="goal_known"),
    )
