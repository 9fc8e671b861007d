"""Disabling an endpoint that kept failing — never silently: its company's admins are told in
the app and by mail, and the audit log records it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from comarketing import audit
from comarketing.accounts.models import User
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.notifications import Recipient, notify
from comarketing.policy import Role
from comarketing.webhooks.models import WebhookEndpoint


def note_success(endpoint: WebhookEndpoint) -> None:
    endpoint.failing_since = None


def note_failure(endpoint: WebhookEndpoint) -> None:
    """Remember when the failures began; past the configured days, disable the endpoint."""
    now = utcnow()
    if endpoint.failing_since is None:
        endpoint.failing_since = now
        return
    days = int(current_app.config["WEBHOOKS_DISABLE_AFTER_DAYS"])
    if endpoint.enabled and now - endpoint.failing_since >= timedelta(days=days):
        disable(endpoint, f"Every delivery failed for {days} days.")


def disable(endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.enabled = False
    endpoint.disabled_at = utcnow()
    endpoint.disabled_reason = reason
    audit.record(
        "webhook.endpoint_disabled",
        organization_ids=[endpoint.organization_id],
        target=endpoint,
        actor_email="system",
        reason=reason,
    )
    admins = sa.select(User.id, User.email, User.time_zone).where(
        User.organization_id == endpoint.organization_id,
        User.role == Role.ADMIN.value,
        User.active.is_(True),
    )
    link = f"/settings/webhooks/{endpoint.id}"
    notify(
        [Recipient(uid, email, tz or "") for uid, email, tz in db.session.execute(admins).all()],
        kind="webhook_disabled",
        title=f"Webhook endpoint disabled: {endpoint.url[:120]}",
        body=(
            f"Hello,\n\nDeliveries to your company's webhook endpoint\n{endpoint.url}\nhave "
            f"failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC, so it was disabled: "
            f"{reason}\n\nNo further events are sent to it. Its delivery log shows what the "
            f"receiver answered; once it is fixed, enable it again and redeliver what it "
            f"missed:\n{absolute_url('webhooks.detail', endpoint_id=endpoint.id)}\n"
        ),
        link=link,
    )
