"""Webhook endpoints and the log of delivery attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model


class WebhookEndpoint(Model):
    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(sa.String(2000))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    event_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # The signing secret ("whsec_" + base64). Stored as is: signing needs it, and no page shows
    # it after the response that created (or rotated) it.
    secret: Mapped[str] = mapped_column(sa.String(100))
    # After a rotation the old secret signs too until ``previous_secret_expires_at``.
    previous_secret: Mapped[str | None] = mapped_column(sa.String(100))
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enabled: Mapped[bool] = mapped_column(default=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disabled_reason: Mapped[str] = mapped_column(sa.String(300), default="")
    # The first failed attempt since the last success: three days of failure disable it.
    failing_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def secret_hint(self) -> str:
        """Enough of the secret to tell two apart, far too little to sign with."""
        return self.secret[:10] + "…"

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, and the previous one during a rotation's overlap."""
        secrets = [self.secret]
        if (
            self.previous_secret
            and self.previous_secret_expires_at is not None
            and self.previous_secret_expires_at > now
        ):
            secrets.append(self.previous_secret)
        return secrets


class AttemptOutcome:
    DELIVERED = "delivered"
    RETRYING = "retrying"  # failed; another attempt is queued
    FAILED = "failed"  # failed; no further attempt


class WebhookAttempt(Model):
    """One HTTP request to an endpoint (the delivery log)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    endpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    # None for a test event (never stored as an event).
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[str] = mapped_column(sa.String(40))  # the webhook-id header
    event_type: Mapped[str] = mapped_column(sa.String(40))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_code: Mapped[int | None] = mapped_column()
    outcome: Mapped[str] = mapped_column(sa.String(12))
    error: Mapped[str] = mapped_column(sa.String(300), default="")
    latency_ms: Mapped[int | None] = mapped_column()
    # The first 2 KB of the response body, as text (undecodable bytes replaced).
    response_excerpt: Mapped[str] = mapped_column(sa.Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (
        sa.Index("ix_webhook_attempts_endpoint_id_attempted_at", "endpoint_id", "attempted_at"),
    )
