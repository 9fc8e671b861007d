"""A person's notifications over the API: newest first, a page at a time, unread or one kind
only; marking one or all read. Everything is the token's user's own: another person's
notification answers 404 and never shows in a list."""

from __future__ import annotations

import sqlalchemy as sa

from comarketing import notifications
from comarketing.extensions import db
from comarketing.notifications import About, Notification, Recipient
from tests.api.conftest import error_of

PM, ADMIN = "partner_manager", "admin"


def _notify(world, company, role: str, title: str, kind: str = "offer_comment", offer: int = 7):
    user_id, email = company.user_ids[role], company.email(role)
    notifications.notify(
        [Recipient(user_id, email)],
        kind=kind,
        title=title,
        body=title,
        link=f"/offers/{offer}",
        about=About("offer", offer, f"Offer {offer}"),
    )


def _ids(app, email_title: str) -> int:
    with app.app_context():
        found = db.session.scalar(
            sa.select(Notification.id).where(Notification.title == email_title)
        )
        assert found is not None
        return int(found)


def test_notifications_list_newest_first_filter_and_mark_read(app, world, api_as):
    with app.app_context():
        for i in range(3):
            _notify(world, world.a, PM, f"Comment {i}")
        _notify(world, world.a, PM, "Received", kind="offer_received", offer=8)
        _notify(world, world.c, ADMIN, f"Gamma only {world.canary}")
        db.session.commit()
    a_pm = api_as(world.a.email(PM), "write")

    page = a_pm.get("/api/v1/notifications?per_page=2").get_json()
    assert [n["title"] for n in page["items"]] == ["Received", "Comment 2"]
    assert (page["total"], page["has_more"], page["unread"]) == (4, True, 4)
    first = page["items"][0]
    assert first["kind"] == "offer_received" and first["link"] == "/offers/8"
    assert first["subject"] == {"type": "offer", "id": 8, "title": "Offer 8"}
    assert first["read_at"] is None
    kind = a_pm.get("/api/v1/notifications?kind=offer_received").get_json()
    assert [n["title"] for n in kind["items"]] == ["Received"]

    marked = a_pm.post(f"/api/v1/notifications/{first['id']}/read")
    assert marked.status_code == 200, marked.get_json()
    assert marked.get_json()["notification"]["read_at"] is not None
    assert marked.get_json()["unread"] == 3
    unread = a_pm.get("/api/v1/notifications?unread=true").get_json()
    assert [n["title"] for n in unread["items"]] == ["Comment 2", "Comment 1", "Comment 0"]
    # Marking it again changes nothing.
    again = a_pm.post(f"/api/v1/notifications/{first['id']}/read").get_json()
    assert again["notification"]["read_at"] == marked.get_json()["notification"]["read_at"]

    some = a_pm.post("/api/v1/notifications/read-all", json={"subject": "offer:7"})
    assert some.status_code == 200 and some.get_json() == {"marked": 3}
    assert a_pm.get("/api/v1/notifications?unread=true").get_json()["total"] == 0
    listed = a_pm.get("/api/v1/notifications?per_page=100").get_data(as_text=True)
    assert world.canary not in listed


def test_another_persons_notification_is_not_found(app, world, api_as):
    with app.app_context():
        _notify(world, world.a, ADMIN, "For the admin")
        _notify(world, world.c, ADMIN, f"Gamma only {world.canary}")
        db.session.commit()
    colleague, outsider = _ids(app, "For the admin"), _ids(app, f"Gamma only {world.canary}")
    a_pm = api_as(world.a.email(PM), "write")

    for notification_id in (colleague, outsider, 999_999):
        answer = a_pm.post(f"/api/v1/notifications/{notification_id}/read")
        assert answer.status_code == 404 and error_of(answer)["message"] == "Not found."
    assert a_pm.get("/api/v1/notifications").get_json()["items"] == []
    everything = a_pm.post("/api/v1/notifications/read-all", json={})
    assert everything.get_json() == {"marked": 0}
    with app.app_context():
        unread = db.session.scalar(sa.select(sa.func.count()).where(Notification.read_at.is_(None)))
        assert unread == 2


def test_refusals_name_the_field_and_read_tokens_only_read(world, api_as):
    a_pm = api_as(world.a.email(PM), "write")
    for query, field in (("kind=gossip", "kind"), ("unread=perhaps", "unread"), ("page=0", "page")):
        answer = a_pm.get(f"/api/v1/notifications?{query}")
        assert answer.status_code == 422 and error_of(answer)["field"] == field
    bad_subject = a_pm.post("/api/v1/notifications/read-all", json={"subject": "offer:x"})
    assert bad_subject.status_code == 422 and error_of(bad_subject)["field"] == "subject"
    bad_kind = a_pm.post("/api/v1/notifications/read-all", json={"kind": "gossip"})
    assert bad_kind.status_code == 422 and error_of(bad_kind)["field"] == "kind"
    read = api_as(world.a.email(PM))
    assert read.get("/api/v1/notifications").status_code == 200
    assert read.post("/api/v1/notifications/read-all", json={}).status_code == 403


def test_a_retried_read_all_answers_the_first_count(app, world, api_as):
    with app.app_context():
        _notify(world, world.a, PM, "One")
        db.session.commit()
    a_pm = api_as(world.a.email(PM), "write")
    headers = {"Idempotency-Key": "read-all-1"}

    first = a_pm.post("/api/v1/notifications/read-all", json={}, headers=headers)
    again = a_pm.post("/api/v1/notifications/read-all", json={}, headers=headers)

    assert first.get_json() == again.get_json() == {"marked": 1}
    assert again.headers["Idempotent-Replayed"] == "true"
