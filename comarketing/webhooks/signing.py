"""Standard Webhooks signatures (https://www.standardwebhooks.com), made by the specification's
reference library: ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` with
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``, one per secret that currently signs."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from datetime import datetime
from math import floor

from standardwebhooks import Webhook

SECRET_PREFIX = "whsec_"  # noqa: S105 - the specification's prefix, not a secret


def new_secret() -> str:
    """A fresh signing secret: 32 random bytes, base64, with the specification's prefix."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def headers(
    message_id: str, timestamp: datetime, body: str, signing_secrets: Sequence[str]
) -> dict[str, str]:
    """The three headers for one request; during a rotation both secrets sign, separated by a
    space, so a receiver holding either verifies."""
    signature = " ".join(
        Webhook(secret).sign(message_id, timestamp, body) for secret in signing_secrets
    )
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(floor(timestamp.timestamp())),
        "webhook-signature": signature,
    }
