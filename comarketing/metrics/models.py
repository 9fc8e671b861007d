"""Daily results per placement, the history of every import, and saved column mappings."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model

# The figures a day carries, in storage order. Counts are whole numbers; the *_minor ones are
# money in the campaign's currency.
COUNT_FIELDS = ("impressions", "reach", "clicks", "leads", "conversions")
MONEY_FIELDS = ("revenue_minor", "cost_minor")
VALUE_FIELDS = COUNT_FIELDS + MONEY_FIELDS


class DailyMetric(Model):
    """One row per placement and day: loading the day again replaces it."""

    __tablename__ = "daily_metrics"

    placement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("placements.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    # Copied from the placement so reports group by campaign without a join per row.
    campaign_id: Mapped[int] = mapped_column(
        sa.ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    impressions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    reach: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    leads: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    conversions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    revenue_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cost_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    currency: Mapped[str] = mapped_column(sa.String(3))
    # The import (form, file or API batch) that last wrote the day.
    import_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("metric_imports.id", ondelete="SET NULL")
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "impressions >= 0 AND reach >= 0 AND clicks >= 0 AND leads >= 0 "
            "AND conversions >= 0 AND revenue_minor >= 0 AND cost_minor >= 0",
            name="not_negative",
        ),
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
    days: Mapped[int] = mapped_column(default=0)
    impressions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    reach: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    leads: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    conversions: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    revenue_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cost_minor: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    __table_args__ = (sa.Index("ix_metric_rollups_campaign_month", "campaign_id", "month"),)


class ImportSource(StrEnum):
    FORM = "form"
    FILE = "file"
    API = "api"


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
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint("source IN ('form', 'file', 'api')", name="source_known"),
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
    impressions: Mapped[int] = mapped_column(sa.BigInteger)
    reach: Mapped[int] = mapped_column(sa.BigInteger)
    clicks: Mapped[int] = mapped_column(sa.BigInteger)
    leads: Mapped[int] = mapped_column(sa.BigInteger)
    conversions: Mapped[int] = mapped_column(sa.BigInteger)
    revenue_minor: Mapped[int] = mapped_column(sa.BigInteger)
    cost_minor: Mapped[int] = mapped_column(sa.BigInteger)
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
