"""A believable inbox for the demo's people: what the running offers and campaign brought them,
a handful of it unread, and no mail.

The year of history is seeded in a minute; announced as it is made, it would arrive as one flood
stamped "now" (claims to confirm that were confirmed long ago, goals of finished campaigns), so
its notifications are dropped. The demo sends no mail at all: seeded through
``notifications.without_mail`` nothing waits in the outbox in front of the mail a newcomer's
first invitation triggers.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa

from comarketing.accounts.models import Organization, User
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.notifications import Notification

UNREAD_PER_PERSON = 5


def _people(organizations: Sequence[Organization]) -> sa.Select[int]:
    return sa.select(User.id).where(User.organization_id.in_([o.id for o in organizations]))


@contextmanager
def unannounced(organizations: Sequence[Organization]) -> Iterator[None]:
    """Notifications the block makes for these companies' people are dropped."""
    last = db.session.scalar(sa.select(sa.func.max(Notification.id))) or 0
    yield
    db.session.execute(
        sa.delete(Notification).where(
            Notification.id > last, Notification.user_id.in_(_people(organizations))
        )
    )
    db.session.commit()


def keep_a_handful_unread(organizations: Sequence[Organization]) -> Iterator[str]:
    """Each person's newest few notifications stay unread; older ones count as read."""
    ranked = (
        sa.select(
            Notification.id,
            sa.func.row_number()
            .over(partition_by=Notification.user_id, order_by=Notification.id.desc())
            .label("rank"),
        )
        .where(Notification.user_id.in_(_people(organizations)), Notification.read_at.is_(None))
        .subquery()
    )
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_(sa.select(ranked.c.id).where(ranked.c.rank > UNREAD_PER_PERSON)))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    marked = int(getattr(result, "rowcount", 0) or 0)
    if marked:
        yield f"inbox: {marked} older demo notification(s) marked read"
