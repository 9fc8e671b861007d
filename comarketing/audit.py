"""Audit trail: who did what to which record, when, from where.

Sits below every domain package. Services call :func:`record` inside their own transaction,
so an action and its audit event commit or roll back together.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing.context import Actor, Origin
from comarketing.db import UTCDateTime, utcnow
from comarketing.extensions import Model, db

security_log = logging.getLogger("comarketing.security")


class AuditEvent(Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The organization whose log shows the event; shared records log once per party.
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    actor_user_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    actor_email: Mapped[str | None] = mapped_column(sa.String(254))
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[int | None] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    request_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


def record(
    action: str,
    *,
    actor: Actor | None = None,
    origin: Origin | None = None,
    organization_ids: Sequence[int | None] = (),
    target: Any = None,
    actor_email: str | None = None,
    **details: Any,
) -> None:
    """Add audit events (one per organization whose log should show it) to the session.

    Also writes one structured line to the security log, so failed sign-ins and denials can be
    alerted on without reading the database.
    """
    origin = origin or (actor.origin if actor else Origin())
    org_ids = list(
        dict.fromkeys(organization_ids or ([actor.organization_id] if actor else [None]))
    )
    target_type = getattr(target, "__tablename__", None)
    target_id = getattr(target, "id", None)
    email = actor_email or (actor.user.email if actor else None)
    for org_id in org_ids:
        db.session.add(
            AuditEvent(
                organization_id=org_id,
                actor_user_id=actor.user_id if actor else None,
                actor_email=email,
                action=action,
                target_type=target_type,
                target_id=target_id,
                details=details,
                ip_address=origin.ip,
                request_id=origin.request_id,
            )
        )
    security_log.info(
        "audit action=%s user=%s org=%s target=%s:%s ip=%s request_id=%s",
        action,
        email,
        ",".join(str(o) for o in org_ids),
        target_type,
        target_id,
        origin.ip,
        origin.request_id,
    )
