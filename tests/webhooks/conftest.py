"""Fixtures of the webhook tests: a receiver on loopback, loopback http allowed, the feed
without its settling delay, and helpers that raise real events through the services."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from comarketing.accounts.models import User
from comarketing.context import Actor, Origin
from comarketing.extensions import db
from comarketing.webhooks import endpoints
from comarketing.webhooks.models import WebhookAttempt, WebhookEndpoint
from tests.webhooks.receiver import Receiver, running


@pytest.fixture(autouse=True)
def _webhook_config(app: Flask) -> None:
    app.config.update(WEBHOOKS_ALLOW_HTTP_LOOPBACK=True, EVENTS_FEED_SETTLE_SECONDS=0)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running() as started:
        yield started


def actor(email: str) -> Actor:
    user = db.session.scalar(sa.select(User).where(User.email == email))
    assert user is not None, email
    return Actor(user, Origin(ip="192.0.2.1", request_id="test"))


def register(email: str, url: str, types: list[str] | None = None) -> tuple[int, str]:
    """An endpoint of the user's company for ``types`` (default: campaign.created);
    returns its id and secret."""
    endpoint, secret = endpoints.create_endpoint(
        actor(email), url=url, description="test", event_types=types or ["campaign.created"]
    )
    return endpoint.id, secret


def attempts(endpoint_id: int) -> list[WebhookAttempt]:
    return list(
        db.session.scalars(
            sa.select(WebhookAttempt)
            .where(WebhookAttempt.endpoint_id == endpoint_id)
            .order_by(WebhookAttempt.id)
        )
    )


def endpoint(endpoint_id: int) -> WebhookEndpoint:
    db.session.expire_all()
    found = db.session.get(WebhookEndpoint, endpoint_id)
    assert found is not None
    return found
