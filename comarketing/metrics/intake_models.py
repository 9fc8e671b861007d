"""A campaign's intake address for results by mail: one per campaign and company, since each
company imports the results of its own placements (as every import belongs to one company)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model


class IntakeAddress(Model):
    """``results+<token>@INTAKE_DOMAIN`` for one company's results of one campaign.

    The token is kept as it is (not hashed): it is an address the partner managers read on the
    page again and again to type into each ad platform, and it travels in clear in every mail's
    headers anyway. What protects it is its 128 random bits, the allowed senders, and
    regenerating it (which retires the old one at once: the row keeps only the new token)."""

    __tablename__ = "intake_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(sa.ForeignKey("campaigns.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE")
    )
    # 26 characters of lower-case base32: mail systems may change the case of a local part.
    token: Mapped[str] = mapped_column(sa.String(40), unique=True)
    # Lower-case addresses a message must come from (its envelope sender or its From).
    senders: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # The partner manager (or admin) who last created, regenerated or changed the address:
    # mailed files are imported with that person's rights, and stop while they cannot sign in.
    managed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    __table_args__ = (sa.UniqueConstraint("campaign_id", "organization_id"),)
