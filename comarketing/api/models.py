"""Personal access tokens and the idempotency records of API write requests."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model


class TokenScope(StrEnum):
    READ = "read"
    WRITE = "write"


class ApiToken(Model):
    """A user's bearer token for the API. Only the SHA-256 of the secret is stored; the prefix
    lets the owner recognise a token in the list without it being usable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_prefix: Mapped[str] = mapped_column(sa.String(16))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(8))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.CheckConstraint("scope IN ('read', 'write')", name="scope_known"),)

    def status(self, now: datetime) -> str:
        """ "active", "revoked" or "expired" at ``now``."""
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.expires_at > now else "expired"


class IdempotencyRecord(Model):
    """The first answer to a write request sent with an ``Idempotency-Key``; a retry with the
    same key gets this answer again instead of repeating the write."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(200))
    method: Mapped[str] = mapped_column(sa.String(10))
    path: Mapped[str] = mapped_column(sa.String(500))
    request_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    # None while the first request is still running.
    status_code: Mapped[int | None] = mapped_column()
    response_body: Mapped[Any | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)
