"""In-app notifications (the bell) and their mail copies, honouring each person's role and
preferences.

Sits below every domain package like the outbox: callers name the people involved (id and email)
and the text; this module decides who of them hears (``policy.NOTIFICATION_AUDIENCE`` plus each
person's opt-ins), stores the notification and queues the mail in the caller's transaction.

Each person chooses per kind how it reaches them (``Channel``): in the app only, by mail at once,
or in a daily digest (``comarketing/notification_digests.py``). What a person's role acts on
always reaches them at least in the app; other kinds are off until they opt in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute, Mapped, mapped_column

from comarketing import outbox
from comarketing.db import UTCDateTime, utcnow
from comarketing.errors import NotFound, ValidationFailed
from comarketing.extensions import Model, db
from comarketing.policy import hears_by_default
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
    "webhook_disabled": "A webhook endpoint of my company is disabled after failing for days",
    "results_mail_waiting": "A results file that came by mail waits for a choice",
    "results_mail_result": "A results file that came by mail is imported or refused",
}


class Channel(StrEnum):
    OFF = "off"
    APP = "app"
    MAIL = "mail"
    DIGEST = "digest"

    @property
    def label(self) -> str:
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {
    Channel.OFF: "Off",
    Channel.APP: "In the app only",
    Channel.MAIL: "In the app and by mail at once",
    Channel.DIGEST: "In the app and in a daily digest mail",
}

# What a notification is about, for grouping: the offer or the campaign.
SUBJECT_TYPES = ("offer", "campaign")


class Notification(Model):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(200))
    link: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The offer or campaign it is about ("" and NULL when it is about neither).
    subject_type: Mapped[str] = mapped_column(sa.String(12), default="", server_default="")
    subject_id: Mapped[int | None] = mapped_column()
    subject_title: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    # How it reached the person when it arrived (app, mail or digest); a digest item names the
    # digest that carried it once sent.
    channel: Mapped[str] = mapped_column(sa.String(8), default="app", server_default="app")
    digest_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("notification_digests.id", ondelete="SET NULL")
    )

    __table_args__ = (
        sa.Index("ix_notifications_user_unread", "user_id", "read_at"),
        sa.Index("ix_notifications_user_subject", "user_id", "subject_type", "subject_id"),
    )


class NotificationPreference(Model):
    """How one kind reaches one person, where it differs from their role's default."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(sa.String(8))


class NotificationDigest(Model):
    """One digest mail sent to one person: the outbox row and how many items it carried."""

    __tablename__ = "notification_digests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    outbox_message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbox_messages.id", ondelete="SET NULL")
    )
    item_count: Mapped[int] = mapped_column(default=0)


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str
    # The zone the person reads times in (their own, else their company's); "" reads UTC.
    time_zone: str = ""


@dataclass(frozen=True)
class About:
    """The offer or campaign a notification is about (``type`` one of ``SUBJECT_TYPES``)."""

    type: str
    id: int
    title: str = ""


# A light reference to the users table: this module sits below accounts and imports no model.
_users = sa.table("users", sa.column("id"), sa.column("role"))

_LINK_SUBJECT = re.compile(r"^/(offers|campaigns)/(\d+)(?:[/#?]|$)")
_QUIET = "notifications_quiet"


def about_from_link(link: str) -> About | None:
    """The offer or campaign a site-relative link points into (``/campaigns/7#budget``)."""
    match = _LINK_SUBJECT.match(link or "")
    if match is None:
        return None
    return About("offer" if match.group(1) == "offers" else "campaign", int(match.group(2)))


def default_channel(role: str, kind: str) -> Channel:
    return Channel.MAIL if hears_by_default(role, kind) else Channel.OFF


def effective_channel(role: str, kind: str, chosen: str | None) -> Channel:
    """The channel a person gets ``kind`` by: their choice, else their role's default; what
    their role acts on cannot be switched off (it stays in the app)."""
    if chosen not in {c.value for c in Channel}:
        return default_channel(role, kind)
    channel = Channel(chosen)
    if channel is Channel.OFF and hears_by_default(role, kind):
        return Channel.APP
    return channel


def channel_choices(role: str, kind: str) -> list[Channel]:
    """What a person in ``role`` may choose for ``kind`` (Off only for what they opt into)."""
    wanted = [Channel.APP, Channel.MAIL, Channel.DIGEST]
    return wanted if hears_by_default(role, kind) else [Channel.OFF, *wanted]


# A mail body with times in it is a function of the reader's zone (dates_format writes them).
Body = str | Callable[[ZoneInfo], str]


@contextmanager
def without_mail() -> Iterator[None]:
    """Notifications made inside the block reach people in the app only (demo data: its
    history must not fill the outbox in front of real mail)."""
    db.session.info[_QUIET] = True
    try:
        yield
    finally:
        db.session.info.pop(_QUIET, None)


def notify(
    recipients: Iterable[Recipient],
    *,
    kind: str,
    title: str,
    body: Body,
    link: str,
    about: About | None = None,
) -> None:
    """Add a notification for each involved person whose role or opt-in says they hear of
    ``kind``, and queue mail for those who want it at once (a digest picks up the rest).

    ``link`` is a site-relative path for the bell; the mail carries ``body`` (which should hold
    the absolute link, and is written for each recipient's zone when it is a function of the
    zone). ``about`` names the offer or campaign (else it is read from ``link``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind {kind}")
    people = {r.user_id: r for r in recipients}
    if not people:
        return
    about = about or about_from_link(link)
    rows = db.session.execute(
        sa.select(_users.c.id, _users.c.role, NotificationPreference.channel)
        .select_from(_users)
        .outerjoin(
            NotificationPreference,
            sa.and_(
                NotificationPreference.user_id == _users.c.id, NotificationPreference.kind == kind
            ),
        )
        .where(_users.c.id.in_(people))
    ).all()
    quiet = bool(db.session.info.get(_QUIET))
    for user_id, role, chosen in sorted(rows):
        channel = effective_channel(role, kind, chosen)
        if channel is Channel.OFF:
            continue
        if quiet:
            channel = Channel.APP
        db.session.add(
            Notification(
                user_id=user_id,
                kind=kind,
                title=title[:200],
                link=link,
                subject_type=about.type if about else "",
                subject_id=about.id if about else None,
                subject_title=(about.title if about else "")[:200],
                channel=channel.value,
            )
        )
        if channel is Channel.MAIL:
            recipient = people[user_id]
            text = body if isinstance(body, str) else body(zone(recipient.time_zone))
            outbox.enqueue(recipient.email, title[:200], text, kind=kind)


def unread_count(user_id: int) -> int:
    return db.session.scalar(sa.select(unread_count_of(user_id))) or 0


def unread_count_of(
    user_id: int | sa.ColumnElement[int] | InstrumentedAttribute[int],
) -> sa.ScalarSelect[int]:
    """The person's unread count as a value of a statement: the signed-in user is loaded with
    it (``accounts.signin.load_session_user_and_unread``), one round trip for both."""
    return (
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
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


def preferences(user_id: int, role: str) -> dict[str, Channel]:
    """Every kind with the channel it reaches this person by."""
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.channel).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    return {kind: effective_channel(role, kind, chosen.get(kind)) for kind in KINDS}


def set_preferences(user_id: int, role: str, choices: Mapping[str, str]) -> None:
    """Store the person's choice per kind (kinds not named keep their role's default).

    Raises ValidationFailed naming the kind when a choice is not one it offers."""
    for kind, value in choices.items():
        if kind not in KINDS:
            raise ValidationFailed(f"Unknown kind of notification: {kind}.", field=kind)
        if value not in {c.value for c in channel_choices(role, kind)}:
            raise ValidationFailed("Choose one of the options offered.", field=kind)
    db.session.execute(
        sa.delete(NotificationPreference).where(
            NotificationPreference.user_id == user_id,
            NotificationPreference.kind.in_(list(choices)),
        )
    )
    for kind, value in sorted(choices.items()):
        if Channel(value) is not default_channel(role, kind):
            db.session.add(NotificationPreference(user_id=user_id, kind=kind, channel=value))
    db.session.commit()
