"""The notifications page (grouped, filtered, paged, marked read per group), the preferences
page (a channel per kind), and `flask send-digests` delivering through a real SMTP server."""

from __future__ import annotations

import re

import sqlalchemy as sa

from comarketing import notifications
from comarketing.extensions import db
from comarketing.notifications import About, Notification, NotificationPreference, Recipient
from tests import factories

ANALYST, PM = "analyst", "partner_manager"


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.TEST_PASSWORD})
    assert response.status_code == 302, email
    return client


def text(response) -> str:
    assert response.status_code == 200
    return response.get_data(as_text=True)


def fill(app, company: factories.Company, role: str, campaigns: int, per_campaign: int) -> None:
    with app.app_context():
        people = [Recipient(company.user_ids[role], company.email(role))]
        for number in range(1, campaigns + 1):
            for item in range(per_campaign):
                for kind in ("goal_reached", "collateral_request"):
                    notifications.notify(
                        people,
                        kind=kind,
                        title=f"{kind} {item} on campaign {number}",
                        body="",
                        link=f"/campaigns/{number}/report",
                        about=About("campaign", number, f"Campaign {number}"),
                    )
        db.session.commit()


def groups(html: str) -> list[str]:
    return re.findall(r'data-group="([^"]+)"', html)


def test_the_page_groups_filters_and_pages(app, world):
    fill(app, world.a, ANALYST, campaigns=9, per_campaign=3)
    client = signed_in(app, world.a.email(ANALYST))

    html = text(client.get("/notifications"))
    assert groups(html)[:2] == ["campaign:9/collateral_request", "campaign:9/goal_reached"]
    assert "Page 1 of 2" in html and "3 unread" in html
    assert "Campaign \u00b7 Campaign 9" in html

    html = text(client.get("/notifications?kind=goal_reached&subject=campaign:4"))
    assert groups(html) == ["campaign:4/goal_reached"]
    html = text(client.get("/notifications?page=2"))
    assert len(groups(html)) == 18 - 15 and "Page 2 of 2" in html

    # Mark one group read: it leaves the unread-only view, the others stay.
    response = client.post(
        "/notifications/read-all", data={"kind": "goal_reached", "subject": "campaign:4"}
    )
    assert response.status_code == 302
    html = text(client.get("/notifications?unread=y&subject=campaign:4"))
    assert groups(html) == ["campaign:4/collateral_request"]
    assert text(client.get("/notifications?unread=y&kind=goal_reached")).count("data-group=") == 8

    assert client.post("/notifications/read-all").status_code == 302
    assert "No notifications match" in text(client.get("/notifications?unread=y"))


def test_bad_filters_are_reported_next_to_their_field_never_a_server_error(app, world):
    fill(app, world.a, ANALYST, campaigns=1, per_campaign=1)
    client = signed_in(app, world.a.email(ANALYST))
    html = text(client.get("/notifications?kind=nonsense&subject=campaign:1"))
    assert 'data-field-error="kind"' in html
    assert len(groups(html)) == 2  # the filters are not applied
    html = text(client.get("/notifications?subject=campaign:999"))
    assert 'data-field-error="subject"' in html
    for query in ("page=-1", "page=abc", "page=99999999999999999999", "subject=x:%00", "unread=2"):
        # (a page number beyond 32 bits is the input guard's 404, like any other page)
        assert client.get(f"/notifications?{query}").status_code in (200, 404, 422), query
    bad = client.post("/notifications/read-all", data={"subject": "campaign:abc"})
    assert bad.status_code == 422
    with app.app_context():
        assert notifications.unread_count(world.a.user_ids[ANALYST]) == 2


def test_the_page_costs_the_same_queries_whatever_the_history(app, world, query_counter):
    fill(app, world.a, ANALYST, campaigns=1, per_campaign=1)
    client = signed_in(app, world.a.email(ANALYST))
    assert client.get("/notifications").status_code == 200
    with query_counter() as small:
        assert client.get("/notifications?unread=y").status_code == 200
    fill(app, world.a, ANALYST, campaigns=30, per_campaign=8)
    with query_counter() as large:
        assert client.get("/notifications?unread=y").status_code == 200
    assert len(large) == len(small)


def test_preferences_offer_off_only_outside_the_role_and_check_each_choice(app, world):
    client = signed_in(app, world.a.email(ANALYST))
    html = text(client.get("/settings/notifications"))
    # Budget alarms are off for an analyst until they opt in; goals come by mail.
    assert re.search(r'name="budget_alert"[^>]*>\s*<option selected value="off">', html)
    assert re.search(r'name="goal_reached"[^>]*>\s*<option value="app">', html)

    response = client.post(
        "/settings/notifications", data={"budget_alert": "digest", "goal_reached": "off"}
    )
    html = text(response)
    assert "Choose one of the options offered." in html
    with app.app_context():
        stored = db.session.scalars(sa.select(NotificationPreference)).all()
        assert stored == []

    response = client.post("/settings/notifications", data={"budget_alert": "digest"})
    assert response.status_code == 302
    with app.app_context():
        prefs = notifications.preferences(world.a.user_ids[ANALYST], ANALYST)
        assert prefs["budget_alert"] == "digest" and prefs["goal_reached"] == "mail"


def test_send_digests_mails_each_person_once(mail_app, smtp_server):
    with mail_app.app_context():
        email = "partner_manager@a.example"
        pm = db.session.scalar(sa.text("SELECT id FROM users WHERE email = :e"), {"e": email})
        notifications.set_preferences(pm, PM, {"goal_reached": "digest"})
        for number in (1, 2):
            notifications.notify(
                [Recipient(pm, email)],
                kind="goal_reached",
                title=f"Goal reached: campaign {number}",
                body="",
                link=f"/campaigns/{number}/report",
                about=About("campaign", number, f"Campaign {number}"),
            )
        db.session.commit()
        assert smtp_server.inbox.received == []

    runner = mail_app.test_cli_runner()
    result = runner.invoke(args=["send-digests"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 digest(s); sent 1 message(s)." in result.output
    (mail,) = smtp_server.inbox.received
    assert mail.recipients == [email]
    assert "Goal reached: campaign 1" in mail.body and "Campaign: Campaign 2" in mail.body

    again = runner.invoke(args=["send-digests"])
    assert "Queued 0 digest(s); sent 0 message(s)." in again.output
    assert len(smtp_server.inbox.received) == 1
    with mail_app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(
                    Notification.user_id == pm, Notification.digest_id.is_not(None)
                )
            )
            == 2
        )
