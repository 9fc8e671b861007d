"""In-app notifications (the bell) and their mail copies, honouring each user's preferences.

Sits below every domain package like the outbox: callers pass the recipients (id and email) and
the text; this module stores the notification and queues the mail in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from comarketing import outbox
from comarketing.db import UTCDateTime, utcnow
from comarketing.errors import NotFound
from comarketing.extensions import Model, db
from comarketing.timezones import zone

# Every kind a user can receive, with the label shown on the preferences page.
KINDS: dict[str, str] = {
    "offer_received": "An offer is sent to my company",
    "offer_revised": "A new revision of an offer",
    "offer_decision": "A party decides on an offer",
    "offer_approved": "An offer is approved by every party",
    "offer_closed": "An offer is rejected, withdrawn or expires",
    "offer_comment": "A new comment on an offer",
    "review_reminder": "A review is due tomorrow",
    "review_overdue": "A review is overdue",
    "budget_alert": "A campaign has spent 80% or 100% of its commitments",
    "claim_to_confirm": "A partner's expense claim awaits my company's confirmation",
    "claim_disputed": "An expense claim of my company is disputed",
    "claim_auto_confirmed": "An expense claim is confirmed because its window passed",
    "claim_revised": "An expense claim is revised",
    "payment_to_confirm": "A payment to my company awaits confirmation of receipt",
    "payment_answered": "A payment my company recorded is confirmed or rejected",
    "collateral_review": "A material is sent for review, decided on, or ready",
    "collateral_request": "A request for a new material is filed, taken or delivered",
    "goal_reached": "A campaign reaches its reach, leads or revenue goal",
}


class Notification(Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200))
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.Index("ix_notifications_user_unread", "user_id", "read_at"),)


class MailOptOut(Model):
    """A kind of notification the user does not want by mail (in-app stays on)."""

    __tablename__ = "mail_opt_outs"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    # The zone the person reads times in (their own, else their company's); "" reads UTC.
    time_zone: str = ""


# A mail body with times in it is a function of the reader's zone (dates_format writes them).
Body = str | Callable[[ZoneInfo], str]


def notify(
    recipients: Iterable[Recipient], *, kind: str, title: str, body: Body, link: str
) -> None:
    """Add a notification for each recipient and queue mail for those who did not opt out.

    ``link`` is a site-relative path for the bell; the mail carries ``body`` (which should hold
    the absolute link), written for each recipient's zone when it is a function."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind}")
    people = {r.user_id: r for r in recipients}
    if not people:
        return
    opted_out = set(
        db.session.scalars(
            sa.select(MailOptOut.user_id).where(
                MailOptOut.user_id.in_(people), MailOptOut.kind == kind
            )
        )
    )
    for user_id, recipient in sorted(people.items()):
        db.session.add(Notification(user_id=user_id, kind=kind, title=title[:200], link=link))
        if user_id not in opted_out:
            text = body if isinstance(body, str) else body(zone(recipient.time_zone))
            outbox.enqueue(recipient.email, title[:200], text, kind=kind)


def unread_count(user_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def recent(user_id: int, limit: int = 50) -> list[Notification]:
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user_id)
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )


def mark_read(user_id: int, notification_id: int) -> Notification:
    notification = db.session.scalar(
        sa.select(Notification).where(
            Notification.id == notification_id, Notification.user_id == user_id
        )
    )
    if notification is None:
        raise NotFound()
    if notification.read_at is None:
        notification.read_at = utcnow()
    db.session.commit()
    return notification


def mark_all_read(user_id: int) -> None:
    db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()


def mail_preferences(user_id: int) -> dict[str, bool]:
    opted_out = set(
        db.session.scalars(sa.select(MailOptOut.kind).where(MailOptOut.user_id == user_id))
    )
    return {kind: kind not in opted_out for kind in KINDS}


def set_mail_preferences(user_id: int, mail_kinds: Iterable[str]) -> None:
    wanted = set(mail_kinds) & set(KINDS)
    db.session.execute(sa.delete(MailOptOut).where(MailOptOut.user_id == user_id))
    for kind in sorted(set(KINDS) - wanted):
        db.session.add(MailOptOut(user_id=user_id, kind=kind))
    db.session.commit()
