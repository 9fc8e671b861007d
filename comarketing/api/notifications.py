"""A person's notifications over the API: list them (newest first, a page at a time, unread
only if asked) and mark them read — one, or all (optionally one kind or subject). The same
services as the notifications page (``notification_inbox``, ``notifications``); everything is
read from the token's user, so another person's notification answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from comarketing import notification_inbox, notifications
from comarketing.api import schemas
from comarketing.api.auth import auth, current_caller, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.idempotency import idempotent
from comarketing.notifications import KINDS, SUBJECT_TYPES, Notification

SUBJECT_DESCRIPTION = "`offer:<id>` or `campaign:<id>` (`other:0`: about neither)."


class NotificationQuery(schemas.PageQuery):
    unread = Boolean(load_default=False, metadata={"description": "Only unread notifications."})
    kind = String(load_default=None, validate=OneOf(list(KINDS)))


class NotificationPath(Schema):
    notification_id = schemas.QueryInteger(required=True, validate=Range(min=1, max=schemas.MAX_ID))


class ReadAllIn(Schema):
    kind = String(load_default=None, allow_none=True, validate=OneOf(list(KINDS)))
    subject = String(
        load_default=None,
        allow_none=True,
        validate=Length(max=30),
        metadata={"description": SUBJECT_DESCRIPTION},
    )


class Subject(Schema):
    type = String(required=True, validate=OneOf(list(SUBJECT_TYPES)))
    id = Integer(strict=True, required=True)
    title = String(required=True, metadata={"description": "Its title when notified."})


class NotificationOut(Schema):
    id = Integer(strict=True, required=True)
    kind = String(required=True, validate=OneOf(list(KINDS)))
    title = String(required=True)
    link = String(required=True, metadata={"description": "Path of the page it is about."})
    subject = Nested(
        Subject,
        required=True,
        allow_none=True,
        metadata={"description": "The offer or campaign it is about; null: neither."},
    )
    created_at = DateTime(required=True)
    read_at = DateTime(required=True, allow_none=True)


class NotificationPage(Schema):
    items = List(Nested(NotificationOut), required=True)
    page = Integer(strict=True, required=True)
    per_page = Integer(strict=True, required=True)
    total = Integer(strict=True, required=True)
    has_more = Boolean(required=True)
    unread = Integer(
        strict=True,
        required=True,
        metadata={"description": "All your unread notifications, whatever the filter."},
    )


class ReadOut(Schema):
    notification = Nested(NotificationOut, required=True)
    unread = Integer(
        strict=True, required=True, metadata={"description": "Your unread notifications now."}
    )


class ReadAllOut(Schema):
    marked = Integer(
        strict=True, required=True, metadata={"description": "How many were marked read."}
    )


def _out(item: Notification) -> dict[str, Any]:
    subject = (
        {"type": item.subject_type, "id": item.subject_id or 0, "title": item.subject_title}
        if item.subject_type
        else None
    )
    return {
        "id": item.id,
        "kind": item.kind,
        "title": item.title,
        "link": item.link,
        "subject": subject,
        "created_at": item.created_at,
        "read_at": item.read_at,
    }


@bp.get("/notifications")
@bp.auth_required(auth)
@bp.input(NotificationQuery, location="query", arg_name="query")
@bp.output(NotificationPage)
@bp.doc(operation_id="listNotifications", responses=ERRORS)
def list_notifications(query: dict[str, Any]) -> dict[str, Any]:
    """List your notifications

    Newest first; `unread` for unread ones only, `kind` for one kind. `unread` in the answer
    counts all your unread notifications (the bell's number).
    """
    filters = notification_inbox.InboxFilter(kind=query["kind"], unread_only=query["unread"])
    page = notification_inbox.notifications_page(
        current_caller().user.id, filters, page=query["page"], per_page=query["per_page"]
    )
    return {
        "items": [_out(item) for item in page.items],
        "page": page.page,
        "per_page": query["per_page"],
        "total": page.total,
        "has_more": page.has_more,
        "unread": page.unread,
    }


@bp.post("/notifications/<int:notification_id>/read")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(NotificationPath, location="path", arg_name="path")
@bp.output(ReadOut)
@bp.doc(operation_id="markNotificationRead", responses=ERRORS)
def mark_read(notification_id: int, path: dict[str, int]) -> dict[str, Any]:
    """Mark a notification read

    Marking a read notification again changes nothing (its `read_at` stays). The answer says
    how many unread notifications you have now.
    """
    user_id = current_caller().user.id
    item = notifications.mark_read(user_id, notification_id)
    return {"notification": _out(item), "unread": notifications.unread_count(user_id)}


@bp.post("/notifications/read-all")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(ReadAllIn, location="json", arg_name="body")
@bp.output(ReadAllOut)
@bp.doc(operation_id="markAllNotificationsRead", responses=sorted({*ERRORS, 415}))
def mark_all_read(body: dict[str, Any]) -> dict[str, Any]:
    """Mark all your notifications read

    All of them, or only one `kind` and/or one `subject` (`offer:12`, `campaign:7`).
    """
    subject = (
        notification_inbox.Subject.parse(body["subject"]) if body["subject"] is not None else None
    )
    marked = notification_inbox.mark_all_read(
        current_caller().user.id, kind=body["kind"], subject=subject
    )
    return {"marked": marked}
