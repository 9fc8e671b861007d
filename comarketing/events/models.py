"""The events table: one row per recipient company and event."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model


class Event(Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What receivers see ("evt_..."): random, so that no company learns from the ids it gets
    # how many events other companies had in between.
    public_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    type: Mapped[str] = mapped_column(sa.String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Only what the recipient company's users could see in the pages.
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    # The changes feed reads one company's events in id order.
    __table_args__ = (sa.Index("ix_events_organization_id_id", "organization_id", "id"),)
