"""Audience sketches: per placement (the people it reached) and per organization list (its
existing audience). Only the Theta sketch of the identifiers' SHA-256 digests is kept.

Every upload is one :class:`AudienceImport` row, succeeded or failed: the import history. A
succeeded row carries the sketch; the target's current sketch is its succeeded row with no
``replaced_at`` (a re-upload sets it on the previous one, which stays in the history).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model


class AudienceList(Model):
    """A named existing audience of one organization (customers, subscribers ...)."""

    __tablename__ = "audience_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)


class AudienceImport(Model):
    __tablename__ = "audience_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The uploading (and owning) organization.
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    placement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("placements.id", ondelete="CASCADE"), index=True
    )
    list_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("audience_lists.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(sa.String(8))  # file | api
    kind: Mapped[str] = mapped_column(sa.String(8))  # email | phone | sha256
    status: Mapped[str] = mapped_column(sa.String(10))  # succeeded | failed
    filename: Mapped[str] = mapped_column(sa.String(200), default="")
    file_sha256: Mapped[str] = mapped_column(sa.String(64), default="")
    file_size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    column: Mapped[str] = mapped_column(sa.String(100), default="")
    rows_read: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    identifiers: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    bad_lines: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The sketch's estimate of distinct identifiers, for lists without reading the sketch.
    distinct_estimate: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    exact: Mapped[bool] = mapped_column(default=True)
    sketch: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # The first bad lines: row and reason only, never the value.
    errors: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    replaced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.CheckConstraint("(placement_id IS NULL) <> (list_id IS NULL)", name="one_target"),
        sa.CheckConstraint("source IN ('file', 'api')", name="source_known"),
        sa.CheckConstraint("kind IN ('email', 'phone', 'sha256')", name="kind_known"),
        sa.CheckConstraint("status IN ('succeeded', 'failed')", name="status_known"),
    )

    @property
    def current(self) -> bool:
        return self.status == "succeeded" and self.replaced_at is None
