"""Notifications people want (issue 18): who hears of what (role via the policy, plus opt-ins),
how it reaches them (app, mail at once, daily digest), and the grouped, filtered inbox."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from flask_sqlalchemy.session import Session

from comarketing import create_app, notification_digests, notification_inbox, notifications, policy
from comarketing.budgets import alerts
from comarketing.campaigns import data_version
from comarketing.campaigns.models import Campaign
from comarketing.errors import ValidationFailed
from comarketing.extensions import db
from comarketing.notification_inbox import InboxFilter, Subject
from comarketing.notifications import (
    About,
    Notification,
    NotificationDigest,
    Recipient,
    about_from_link,
)
from comarketing.outbox import OutboxMessage
from tests import campaign_helpers as ch
from tests import factories
from tests.concurrency import at_once
from tests.conftest import base_config
from tests.databases import empty_database

ROLES = ("admin", "partner_manager", "approver", "analyst")


def everyone(company: factories.Company) -> list[Recipient]:
    return [Recipient(company.user_ids[r], company.email(r)) for r in ROLES]


def told(kind: str) -> list[int]:
    return sorted(
        db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == kind))
    )


def mailed(kind: str) -> list[str]:
    return sorted(
        db.session.scalars(sa.select(OutboxMessage.recipient).where(OutboxMessage.kind == kind))
    )


def send(people: list[Recipient], kind: str, title: str, link: str, about=None) -> None:
    notifications.notify(people, kind=kind, title=title, body=f"{title}\n", link=link, about=about)
    db.session.commit()


def test_every_kind_has_an_audience_in_the_policy():
    assert set(policy.NOTIFICATION_AUDIENCE) == set(notifications.KINDS)
    assert not policy.hears_by_default("approver", "budget_alert")
    assert not policy.hears_by_default("analyst", "budget_alert")
    assert policy.hears_by_default("analyst", "goal_reached")
    assert policy.hears_by_default("approver", "review_reminder")
    assert not policy.hears_by_default("partner_manager", "review_reminder")
    assert not policy.hears_by_default("no-such-role", "goal_reached")


def test_budget_alarms_reach_who_can_act_on_the_budget_and_whoever_opted_in(ctx, world):
    a, b = world.a, world.b
    joint = ch.joint_campaign(world)
    # B's approver wants budget alarms after all, in the digest; A's analyst by mail.
    notifications.set_preferences(b.user_ids["approver"], "approver", {"budget_alert": "digest"})
    notifications.set_preferences(a.user_ids["analyst"], "analyst", {"budget_alert": "mail"})
    campaign = db.session.get(Campaign, joint.id)
    assert campaign is not None
    alerts.announce_spend_level(campaign, committed=1_000, spent=800)
    db.session.commit()

    expected = [a.user_ids[r] for r in ("admin", "partner_manager", "analyst")] + [
        b.user_ids[r] for r in ("admin", "partner_manager", "approver")
    ]
    assert told("budget_alert") == sorted(expected)
    by_mail = [(a, "admin"), (a, "partner_manager"), (a, "analyst"), (b, "admin")]
    by_mail.append((b, "partner_manager"))
    assert mailed("budget_alert") == sorted(company.email(role) for company, role in by_mail)
    alarm = db.session.scalars(sa.select(Notification).where(Notification.kind == "budget_alert"))
    first = next(iter(alarm))
    assert (first.subject_type, first.subject_id, first.subject_title) == (
        "campaign",
        joint.id,
        "Spring baking week",
    )
    assert first.link == f"/campaigns/{joint.id}#budget"


def test_what_a_role_acts_on_cannot_be_switched_off_and_choices_are_checked(ctx, world):
    approver = world.a.user_ids["approver"]
    with pytest.raises(ValidationFailed) as error:
        notifications.set_preferences(approver, "approver", {"review_reminder": "off"})
    assert error.value.field == "review_reminder"
    with pytest.raises(ValidationFailed) as error:
        notifications.set_preferences(approver, "approver", {"budget_alert": "fax"})
    assert error.value.field == "budget_alert"
    with pytest.raises(ValidationFailed) as error:
        notifications.set_preferences(approver, "approver", {"no_such_kind": "app"})
    assert error.value.field == "no_such_kind"
    # Nothing half-written: the person still has their role's defaults.
    assert notifications.preferences(approver, "approver")["review_reminder"] == "mail"
    assert notifications.preferences(approver, "approver")["budget_alert"] == "off"
    # A stored "off" (e.g. kept from another role) never silences what the role acts on.
    assert notifications.effective_channel("approver", "review_reminder", "off") == "app"
    assert notifications.effective_channel("approver", "budget_alert", None) == "off"


def test_channels_app_mail_digest_and_no_mail_for_demo_data(ctx, world):
    a = world.a
    notifications.set_preferences(a.user_ids["admin"], "admin", {"offer_comment": "app"})
    notifications.set_preferences(
        a.user_ids["partner_manager"], "partner_manager", {"offer_comment": "digest"}
    )
    send(everyone(a), "offer_comment", "New comment", "/offers/7")
    # Analysts do not comment on offers: they do not hear of comments unless they opt in.
    assert told("offer_comment") == sorted(a.user_ids[r] for r in ROLES if r != "analyst")
    assert mailed("offer_comment") == [a.email("approver")]
    channels = dict(
        db.session.execute(
            sa.select(Notification.user_id, Notification.channel).where(
                Notification.kind == "offer_comment"
            )
        ).all()
    )
    assert channels == {
        a.user_ids["admin"]: "app",
        a.user_ids["partner_manager"]: "digest",
        a.user_ids["approver"]: "mail",
    }

    with notifications.without_mail():
        send(everyone(a), "goal_reached", "Goal reached", "/campaigns/3/report")
    assert len(told("goal_reached")) == 3 and mailed("goal_reached") == []
    assert set(
        db.session.scalars(
            sa.select(Notification.channel).where(Notification.kind == "goal_reached")
        )
    ) == {"app"}


def test_the_subject_is_read_from_the_link_unless_given():
    assert about_from_link("/offers/12") == About("offer", 12)
    assert about_from_link("/campaigns/7#budget") == About("campaign", 7)
    assert about_from_link("/campaigns/7/report") == About("campaign", 7)
    assert about_from_link("/campaigns/7x") is None
    assert about_from_link("/collateral/assets/3") is None
    assert about_from_link("") is None


def digest_items(user_id: int) -> list[int | None]:
    return list(
        db.session.scalars(
            sa.select(Notification.digest_id)
            .where(Notification.user_id == user_id, Notification.channel == "digest")
            .order_by(Notification.id)
        )
    )


def test_a_digest_carries_what_arrived_since_the_last_one_and_never_twice(ctx, world):
    a = world.a
    pm = a.user_ids["partner_manager"]
    notifications.set_preferences(
        pm, "partner_manager", {"offer_comment": "digest", "goal_reached": "digest"}
    )
    me = [Recipient(pm, a.email("partner_manager"))]
    send(me, "offer_comment", "First comment", "/offers/5", About("offer", 5, "Spring week"))
    send(me, "goal_reached", "Goal reached", "/campaigns/9/report", About("campaign", 9, "Fall"))
    send(me, "offer_comment", "Seen already", "/offers/5", About("offer", 5, "Spring week"))
    seen = db.session.scalar(sa.select(sa.func.max(Notification.id)))
    db.session.execute(
        sa.update(Notification).where(Notification.id == seen).values(read_at=sa.func.now())
    )
    db.session.commit()

    assert notification_digests.send_digests() == 1
    (mail,) = db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "digest"))
    assert mail.recipient == a.email("partner_manager")
    assert mail.subject == "Your Comarketing digest: 2 new notifications"
    assert "Offer: Spring week" in mail.body and "Campaign: Fall" in mail.body
    assert "First comment" in mail.body and "http://localhost/offers/5" in mail.body
    assert "Seen already" not in mail.body
    (digest,) = db.session.scalars(sa.select(NotificationDigest))
    assert (digest.user_id, digest.outbox_message_id, digest.item_count) == (pm, mail.id, 2)

    # Running it again sends nothing twice.
    assert notification_digests.send_digests() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NotificationDigest)) == 1

    send(me, "offer_comment", "Later comment", "/offers/5")
    assert notification_digests.send_digests() == 1
    latest = db.session.scalars(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "digest").order_by(OutboxMessage.id)
    ).all()[-1]
    assert "Later comment" in latest.body and "First comment" not in latest.body
    second = db.session.scalar(
        sa.select(NotificationDigest.id).where(NotificationDigest.outbox_message_id == latest.id)
    )
    assert digest_items(pm) == [digest.id, digest.id, None, second]


def test_inactive_people_get_no_digest(ctx, world):
    a = world.a
    analyst = a.user_ids["analyst"]
    notifications.set_preferences(analyst, "analyst", {"goal_reached": "digest"})
    send([Recipient(analyst, a.email("analyst"))], "goal_reached", "Goal", "/campaigns/1/report")
    db.session.execute(
        sa.text("UPDATE users SET active = :no WHERE id = :id"), {"no": False, "id": analyst}
    )
    db.session.commit()
    assert notification_digests.send_digests() == 0


def fill_inbox(company: factories.Company, role: str, groups: int, per_group: int) -> int:
    """``groups`` campaigns with ``per_group`` goal notifications each, for one person."""
    user_id = company.user_ids[role]
    people = [Recipient(user_id, company.email(role))]
    for number in range(groups):
        for item in range(per_group):
            notifications.notify(
                people,
                kind="goal_reached",
                title=f"Goal {item} of campaign {number}",
                body="",
                link=f"/campaigns/{number + 1}/report",
                about=About("campaign", number + 1, f"Campaign {number + 1}"),
            )
    db.session.commit()
    return user_id


def test_the_inbox_groups_by_subject_and_kind_filters_and_pages(ctx, world):
    a = world.a
    user_id = fill_inbox(a, "analyst", groups=notification_inbox.GROUPS_PER_PAGE + 1, per_group=7)
    send(
        [Recipient(user_id, a.email("analyst"))],
        "collateral_request",
        "Material requested",
        "/campaigns/1/collateral#requests",
        About("campaign", 1, "Campaign 1"),
    )
    fill_inbox(world.b, "analyst", groups=1, per_group=1)  # someone else's: never shown

    first = notification_inbox.inbox(user_id, InboxFilter())
    assert (first.page, first.pages) == (1, 2)
    assert len(first.groups) == notification_inbox.GROUPS_PER_PAGE
    newest = first.groups[0]
    assert (newest.subject, newest.kind, newest.total, newest.unread) == (
        Subject("campaign", 1),
        "collateral_request",
        1,
        1,
    )
    biggest = first.groups[1]
    assert (biggest.label, biggest.total) == ("Campaign \u00b7 Campaign 16", 7)
    assert len(biggest.items) == notification_inbox.ITEMS_PER_GROUP
    assert [i.title for i in biggest.items][:2] == [
        "Goal 6 of campaign 15",
        "Goal 5 of campaign 15",
    ]

    second = notification_inbox.inbox(user_id, InboxFilter(), page=99)  # past the end: the last
    assert second.page == 2 and len(second.groups) == 2

    goals_of_1 = notification_inbox.inbox(
        user_id, InboxFilter(kind="goal_reached", subject=Subject("campaign", 1))
    )
    assert [(g.subject.id, g.kind, g.total) for g in goals_of_1.groups] == [(1, "goal_reached", 7)]
    assert ("campaign:1", "Campaign \u00b7 Campaign 1") in notification_inbox.subjects(user_id)

    # Mark one group read: only that group; then "unread only" leaves it out.
    marked = notification_inbox.mark_all_read(
        user_id, kind="goal_reached", subject=Subject("campaign", 1)
    )
    assert marked == 7
    unread = notification_inbox.inbox(
        user_id, InboxFilter(unread_only=True, subject=Subject("campaign", 1))
    )
    assert [(g.kind, g.unread) for g in unread.groups] == [("collateral_request", 1)]
    assert notifications.unread_count(user_id) == 16 * 7 + 1 - 7
    assert notification_inbox.mark_all_read(user_id) == 16 * 7 + 1 - 7
    assert notifications.unread_count(user_id) == 0
    assert notifications.unread_count(world.b.user_ids["analyst"]) == 1


def test_bad_filters_name_their_field():
    with pytest.raises(ValidationFailed) as error:
        Subject.parse("campaign:abc")
    assert error.value.field == "subject"
    with pytest.raises(ValidationFailed):
        Subject.parse("user:1")
    with pytest.raises(ValidationFailed) as error:
        InboxFilter(kind="nope")
    assert error.value.field == "kind"
    assert Subject.parse("other:0") == Subject("", 0)


# ---------------------------------------------------------------------------------------------
# Migration 0022 on existing rows


def test_migration_0022_keeps_opt_outs_faithfully_and_reads_subjects_from_links(backend, tmp_path):
    with empty_database(backend, tmp_path) as url:
        app = create_app(base_config(url))
        with app.app_context():
            upgrade(revision="0021_time_zones")
            # Data versions (migration 0031) do not exist yet at 0021: nothing to raise.
            sa.event.remove(Session, "before_commit", data_version._raise_versions)
            try:
                a = factories.make_company("A", "Alpha")
                db.session.commit()
            finally:
                sa.event.listen(Session, "before_commit", data_version._raise_versions)
                data_version._forget(db.session())
            pm, approver = a.user_ids["partner_manager"], a.user_ids["approver"]
            with db.engine.begin() as conn:
                for user_id, kind in (
                    (pm, "goal_reached"),  # a partner manager hears of goals: now "app only"
                    (approver, "offer_received"),  # an approver decides: now "app only"
                    (approver, "budget_alert"),  # now off by default: no mail either way
                ):
                    conn.execute(
                        sa.text("INSERT INTO mail_opt_outs (user_id, kind) VALUES (:u, :k)"),
                        {"u": user_id, "k": kind},
                    )
                for link in ("/offers/5", "/campaigns/7#budget", "/settings/organization"):
                    conn.execute(
                        sa.text(
                            "INSERT INTO notifications (user_id, kind, title, link, created_at) "
                            "VALUES (:u, 'offer_comment', 'Old', :link, '2026-01-01 00:00:00')"
                        ),
                        {"u": pm, "link": link},
                    )

            upgrade()

            stored = db.session.execute(
                sa.text("SELECT user_id, kind, channel FROM notification_preferences ORDER BY 1, 2")
            ).all()
            assert sorted(tuple(r) for r in stored) == sorted(
                [(pm, "goal_reached", "app"), (approver, "offer_received", "app")]
            )
            assert notifications.preferences(approver, "approver")["budget_alert"] == "off"
            subjects = db.session.execute(
                sa.text(
                    "SELECT subject_type, subject_id, channel, digest_id FROM notifications "
                    "ORDER BY id"
                )
            ).all()
            assert [tuple(r) for r in subjects] == [
                ("offer", 5, "app", None),
                ("campaign", 7, "app", None),
                ("", None, "app", None),
            ]
            db.session.remove()

            downgrade(revision="0021_time_zones")
            with db.engine.connect() as conn:
                kept = conn.execute(sa.text("SELECT user_id, kind FROM mail_opt_outs")).all()
            assert sorted(tuple(r) for r in kept) == sorted(
                [(pm, "goal_reached"), (approver, "offer_received")]
            )
            upgrade()
            db.engine.dispose()


@pytest.mark.pg_only
def test_two_digest_runs_at_once_never_send_an_item_twice(app, world):
    """[PG] The items are locked while a digest is made: the second run finds them taken."""
    with app.app_context():
        people = []
        for company in (world.a, world.b):
            for role in ("admin", "partner_manager"):
                user_id = company.user_ids[role]
                notifications.set_preferences(user_id, role, {"goal_reached": "digest"})
                people.append(Recipient(user_id, company.email(role)))
        for number in range(5):
            notifications.notify(
                people, kind="goal_reached", title=f"Goal {number}", body="", link="/campaigns/1"
            )
        db.session.commit()

    outcomes = at_once(app, [notification_digests.send_digests] * 4)

    assert sum(int(str(o)) for o in outcomes) == len(people), outcomes
    with app.app_context():
        per_person = db.session.execute(
            sa.select(
                NotificationDigest.user_id, sa.func.sum(NotificationDigest.item_count)
            ).group_by(NotificationDigest.user_id)
        ).all()
        assert sorted(per_person) == sorted((p.user_id, 5) for p in people)
        assert db.session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.kind == "digest")
        ) == len(people)
