"""The notifications page: a person's notifications grouped by what they are about (the offer
or campaign) and kind, filtered, a page of groups at a time, and marking them read.

Every read is built from the person's own id, so another person's notification is not found.
The page costs a fixed number of queries whatever the history: the filter's subjects, the group
count, one page of groups (aggregated in SQL), and the latest items of those groups (a window
function picks them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from comarketing.db import utcnow
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.notifications import KINDS, SUBJECT_TYPES, Notification

GROUPS_PER_PAGE = 15
ITEMS_PER_GROUP = 5
SUBJECT_CHOICES_LIMIT = 200

_subject_id = sa.func.coalesce(Notification.subject_id, 0)


@dataclass(frozen=True)
class Subject:
    """A filter or group key: ``offer:12``, ``campaign:7``, or ``other:0`` for neither."""

    type: str
    id: int

    @property
    def key(self) -> str:
        return f"{self.type or 'other'}:{self.id}"

    @classmethod
    def parse(cls, key: str) -> Subject:
        """Raises ValidationFailed (field ``subject``) for anything but ``type:id``."""
        kind, _, number = (key or "").partition(":")
        if kind not in (*SUBJECT_TYPES, "other") or not number.isdigit() or len(number) > 12:
            raise ValidationFailed("Choose a campaign or offer from the list.", field="subject")
        return cls("" if kind == "other" else kind, int(number))

    def label(self, title: str) -> str:
        if not self.type:
            return "Other"
        return f"{self.type.capitalize()} \u00b7 {title}" if title else f"{self.type} #{self.id}"


@dataclass(frozen=True)
class InboxFilter:
    kind: str | None = None
    unread_only: bool = False
    subject: Subject | None = None

    def __post_init__(self) -> None:
        if self.kind is not None and self.kind not in KINDS:
            raise ValidationFailed("Choose a kind from the list.", field="kind")

    def conditions(self, user_id: int) -> list[sa.ColumnElement[bool]]:
        where = [Notification.user_id == user_id]
        if self.kind:
            where.append(Notification.kind == self.kind)
        if self.unread_only:
            where.append(Notification.read_at.is_(None))
        if self.subject is not None:
            where += [
                Notification.subject_type == self.subject.type,
                _subject_id == self.subject.id,
            ]
        return where


@dataclass
class Group:
    subject: Subject
    title: str
    kind: str
    total: int
    unread: int
    latest_at: datetime
    items: list[Notification] = field(default_factory=list)

    @property
    def label(self) -> str:
        return self.subject.label(self.title)

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass
class Inbox:
    groups: list[Group]
    page: int
    pages: int


def subjects(user_id: int) -> list[tuple[str, str]]:
    """The offers and campaigns this person has notifications about, most recent first."""
    rows = db.session.execute(
        sa.select(Notification.subject_type, _subject_id, sa.func.max(Notification.subject_title))
        .where(Notification.user_id == user_id, Notification.subject_type != "")
        .group_by(Notification.subject_type, _subject_id)
        .order_by(sa.func.max(Notification.id).desc())
        .limit(SUBJECT_CHOICES_LIMIT)
    ).all()
    return [(Subject(t, i).key, Subject(t, i).label(title)) for t, i, title in rows]


def inbox(user_id: int, filters: InboxFilter, page: int = 1) -> Inbox:
    where = filters.conditions(user_id)
    keys = (Notification.subject_type, _subject_id, Notification.kind)
    total_groups = (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(*keys).where(*where).group_by(*keys).subquery()
            )
        )
        or 0
    )
    pages = max(1, -(-total_groups // GROUPS_PER_PAGE))
    page = min(max(page, 1), pages)
    rows = db.session.execute(
        sa.select(
            *keys,
            sa.func.max(Notification.subject_title),
            sa.func.count(),
            sa.func.count(Notification.id).filter(Notification.read_at.is_(None)),
            sa.func.max(Notification.created_at),
        )
        .where(*where)
        .group_by(*keys)
        .order_by(sa.func.max(Notification.id).desc())
        .limit(GROUPS_PER_PAGE)
        .offset((page - 1) * GROUPS_PER_PAGE)
    ).all()
    groups = {
        (t, i, k): Group(Subject(t, i), title, k, total, unread, latest)
        for t, i, k, title, total, unread, latest in rows
    }
    for item in _latest_items(where, list(groups)):
        groups[(item.subject_type, item.subject_id or 0, item.kind)].items.append(item)
    return Inbox(list(groups.values()), page, pages)


def _latest_items(
    where: list[sa.ColumnElement[bool]], keys: list[tuple[str, int, str]]
) -> list[Notification]:
    if not keys:
        return []
    ranked = (
        sa.select(
            Notification.id,
            sa.func.row_number()
            .over(
                partition_by=(Notification.subject_type, _subject_id, Notification.kind),
                order_by=Notification.id.desc(),
            )
            .label("rank"),
        )
        .where(
            *where,
            sa.or_(
                *(
                    sa.and_(
                        Notification.subject_type == t, _subject_id == i, Notification.kind == k
                    )
                    for t, i, k in keys
                )
            ),
        )
        .subquery()
    )
    return list(
        db.session.scalars(
            sa.select(Notification)
            .join(ranked, ranked.c.id == Notification.id)
            .where(ranked.c.rank <= ITEMS_PER_GROUP)
            .order_by(Notification.id.desc())
        )
    )


def mark_all_read(user_id: int, *, kind: str | None = None, subject: Subject | None = None) -> int:
    """Mark the person's unread notifications read: all of them, or one group's (a kind and/or
    a subject). Returns how many were marked."""
    where = InboxFilter(kind=kind, unread_only=True, subject=subject).conditions(user_id)
    result = db.session.execute(
        sa.update(Notification)
        .where(*where)
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass
class NotificationPage:
    """One page of a person's notifications, newest first, one item each (the API's list)."""

    items: list[Notification]
    page: int
    total: int
    has_more: bool
    unread: int  # all the person's unread notifications, whatever the filter


def notifications_page(
    user_id: int, filters: InboxFilter, *, page: int = 1, per_page: int = 25
) -> NotificationPage:
    where = filters.conditions(user_id)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(*where))
    items = list(
        db.session.scalars(
            sa.select(Notification)
            .where(*where)
            .order_by(Notification.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    unread = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(*InboxFilter(unread_only=True).conditions(user_id))
    )
    total = int(total or 0)
    return NotificationPage(items, page, total, page * per_page < total, int(unread or 0))
