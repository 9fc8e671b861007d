"""The daily digest: one mail per person with what arrived for them by digest since their last
one (``flask send-digests``; issue 19 schedules it).

Idempotent: each person's digest is written in one transaction together with its outbox row,
and the items it carries point at it (``Notification.digest_id``), so a second run finds
nothing left to send. On PostgreSQL the items are locked while the digest is made, so two runs at
once never send the same item twice. Items read in the app before the digest runs are left out:
the person has seen them.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urljoin

import sqlalchemy as sa
from flask import current_app

from comarketing import outbox
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.notifications import KINDS, Channel, Notification, NotificationDigest

_users = sa.table("users", sa.column("id"), sa.column("email"), sa.column("active"))

_pending = (
    Notification.channel == Channel.DIGEST.value,
    Notification.digest_id.is_(None),
    Notification.read_at.is_(None),
)


def send_digests() -> int:
    """Queue one digest mail for every active person with unread digest items; returns how
    many digests were queued (the outbox delivers them)."""
    people = db.session.execute(
        sa.select(_users.c.id, _users.c.email)
        .where(
            _users.c.active,
            _users.c.id.in_(sa.select(Notification.user_id).where(*_pending).distinct()),
        )
        .order_by(_users.c.id)
    ).all()
    db.session.rollback()  # end the read; each digest is its own transaction
    return sum(_send_one(int(user_id), str(email)) for user_id, email in people)


def _send_one(user_id: int, email: str) -> int:
    items = list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.user_id == user_id, *_pending)
            .order_by(Notification.id)
            .with_for_update()
        )
    )
    if not items:  # another run sent them meanwhile
        db.session.rollback()
        return 0
    message = outbox.enqueue(email, _subject(items), _body(items), kind="digest")
    db.session.flush()
    digest = NotificationDigest(
        user_id=user_id, outbox_message_id=message.id, item_count=len(items)
    )
    db.session.add(digest)
    db.session.flush()
    for item in items:
        item.digest_id = digest.id
    db.session.commit()
    return 1


def _subject(items: Sequence[Notification]) -> str:
    count = len(items)
    return f"Your Comarketing digest: {count} new notification{'s' if count != 1 else ''}"


def _body(items: Sequence[Notification]) -> str:
    """Items grouped by the offer or campaign they are about, then by kind, newest last."""
    base = current_app.config["PUBLIC_URL"].rstrip("/") + "/"
    sections: dict[str, list[Notification]] = {}
    for item in items:
        heading = (
            f"{item.subject_type.capitalize()}: {item.subject_title or '#' + str(item.subject_id)}"
            if item.subject_type
            else "Other"
        )
        sections.setdefault(heading, []).append(item)
    lines = ["Hello,", "", "Here is what arrived for you since your last digest.", ""]
    for heading, section in sections.items():
        lines += [heading, "-" * len(heading)]
        for item in sorted(section, key=lambda n: (n.kind, n.id)):
            link = urljoin(base, item.link.lstrip("/")) if item.link else ""
            lines.append(f"* {KINDS.get(item.kind, item.kind)}: {item.title}")
            if link:
                lines.append(f"  {link}")
        lines.append("")
    lines += [
        f"All your notifications: {absolute_url('dashboard.notifications_page')}",
        f"Choose what comes by digest: {absolute_url('dashboard.mail_preferences')}",
    ]
    return "\n".join(lines) + "\n"
