"""Usage counting and the collateral report (figures and a fixed number of queries), and
requests for new materials (+1 once per user, taken, delivered, requester notified)."""

from __future__ import annotations

import sqlalchemy as sa
from freezegun import freeze_time

from comarketing.collateral import downloads, reports, requests, reviews
from comarketing.collateral.models import CollateralRequestVote, CollateralUsage
from comarketing.extensions import db
from comarketing.notifications import Notification
from tests.collateral.conftest import actor, upload_image

PM, APPROVER, ANALYST = "partner_manager", "approver", "analyst"


def test_report_counts_downloads_per_party_unused_share_and_time_to_ready(ctx, world, ab_campaign):
    a_pm, b_approver = actor(world.a.email(PM)), actor(world.b.email(APPROVER))
    with freeze_time("2026-11-30 10:00:00"):
        used = upload_image(world, ab_campaign, title="Used banner")
        unused = upload_image(world, ab_campaign, title="Unused banner")
        pending = upload_image(world, ab_campaign, title="Pending banner")
    with freeze_time("2026-11-30 16:00:00"):  # six hours to ready
        reviews.review(b_approver, used.id, version_number=1, decision="approved")
    with freeze_time("2026-12-01 10:00:00"):  # a day to ready
        reviews.review(b_approver, unused.id, version_number=1, decision="approved")
    with freeze_time("2026-11-30 12:00:00"):  # before it was ready: not "since ready"
        downloads.fetch(a_pm, unused.id, action="download")
    with freeze_time("2026-12-02 09:00:00"):
        downloads.fetch(a_pm, used.id, action="download")
        downloads.fetch(a_pm, used.id, action="open")
        downloads.fetch(actor(world.b.email(ANALYST)), used.id, action="download")
        downloads.fetch(actor(world.a.email(ANALYST)), pending.id, action="download")

    usage = db.session.execute(
        sa.select(CollateralUsage.user_id, CollateralUsage.organization_id, CollateralUsage.action)
        .where(CollateralUsage.asset_id == used.id)
        .order_by(CollateralUsage.id)
    ).all()
    assert [tuple(u) for u in usage] == [
        (world.a.user_ids[PM], world.a.id, "download"),
        (world.a.user_ids[PM], world.a.id, "open"),
        (world.b.user_ids[ANALYST], world.b.id, "download"),
    ]

    report = reports.campaign_report(a_pm, ab_campaign)
    rows = {r.title: r for r in report.rows}
    assert report.rows[0].title == "Used banner"  # most downloaded first
    assert rows["Used banner"].by_party == {world.a.id: 2, world.b.id: 1}
    assert rows["Used banner"].downloads == 3 and rows["Used banner"].uses_since_ready == 3
    assert rows["Unused banner"].downloads == 1 and rows["Unused banner"].uses_since_ready == 0
    assert rows["Pending banner"].downloads == 1 and not rows["Pending banner"].is_ready
    assert [r.title for r in report.ready_unused] == ["Unused banner"]
    assert report.ready_unused_share == 0.5
    assert rows["Used banner"].hours_to_ready == 6.0
    assert rows["Unused banner"].hours_to_ready == 24.0
    assert report.median_hours_to_ready == 15.0
    assert rows["Pending banner"].hours_to_ready is None
    assert [name for _, name in report.parties] == sorted([world.a.name, world.b.name])

    # The company report sees the same figures; C, outside the campaign, sees none of them.
    organization = reports.organization_report(actor(world.b.email(ANALYST)))
    assert {r.title: r.downloads for r in organization.rows}["Used banner"] == 3
    assert reports.organization_report(actor(world.c.email("admin"))).rows == []


def test_the_report_runs_a_fixed_number_of_queries(app, world, ab_campaign, query_counter):
    def count() -> int:
        with app.app_context():
            a_pm = actor(world.a.email(PM))
            with query_counter() as statements:
                reports.campaign_report(a_pm, ab_campaign)
            db.session.remove()
        return len(statements)

    with app.app_context():
        upload_image(world, ab_campaign)
        db.session.remove()
    few = count()
    with app.app_context():
        for n in range(6):
            asset = upload_image(world, ab_campaign, title=f"Banner {n}")
            downloads.fetch(actor(world.b.email(ANALYST)), asset.id, action="download")
        db.session.remove()
    assert count() == few


def test_the_report_page_shows_downloads(app, client, login_as, world, ab_campaign):
    with app.app_context():
        asset = upload_image(world, ab_campaign, title="Counted banner")
        downloads.fetch(actor(world.b.email(PM)), asset.id, action="download")
        db.session.remove()
    login_as(world.a.email(ANALYST))
    page = client.get(f"/campaigns/{ab_campaign}/collateral/report").get_data(as_text=True)
    assert "Counted banner" in page
    assert 'data-testid="total-downloads">1<' in page


def test_a_request_is_voted_once_per_user_taken_and_delivered_to_the_requester(
    ctx, world, ab_campaign
):
    requester = actor(world.b.email(ANALYST))
    request = requests.create_request(
        requester, ab_campaign, title="A one-page comparison for retail buyers"
    )
    for email in (world.a.email(ANALYST), world.a.email(ANALYST), world.b.email(PM)):
        requests.vote(actor(email), request.id)
    votes = db.session.scalar(
        sa.select(sa.func.count()).where(CollateralRequestVote.request_id == request.id)
    )
    assert votes == 2
    a_pm = actor(world.a.email(PM))
    requests.take_request(a_pm, request.id)
    asset = upload_image(world, ab_campaign, title="Retail comparison")
    delivered = requests.deliver_request(a_pm, request.id, asset.id)
    assert delivered.status == "delivered" and delivered.asset_id == asset.id
    told = list(
        db.session.scalars(
            sa.select(Notification.title)
            .where(
                Notification.user_id == world.b.user_ids[ANALYST],
                Notification.kind == "collateral_request",
            )
            .order_by(Notification.id)
        )
    )
    assert told == [
        "Taken: A one-page comparison for retail buyers",
        "Delivered: A one-page comparison for retail buyers",
    ]
    import pytest

    from comarketing.errors import Forbidden, InvalidTransition

    with pytest.raises(InvalidTransition):
        requests.take_request(a_pm, request.id)
    with pytest.raises(Forbidden):
        requests.take_request(actor(world.a.email(ANALYST)), request.id)
