"""Creative review: the transition table, business-day due dates (the offers' rule), reminders
and overdue notices through `flask send-reminders` (once each), and "ready" only when every
owning party approved the current version. Dates: 2026-11-30 is a Monday."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

from comarketing.collateral import access, assets, queries, reviews, workflow
from comarketing.collateral.models import CollateralAsset, ReviewStatus
from comarketing.errors import Conflict, Forbidden, InvalidTransition, ValidationFailed
from comarketing.extensions import db
from comarketing.notifications import Notification
from tests.collateral import samples
from tests.collateral.conftest import actor, upload_image

PM, APPROVER = "partner_manager", "approver"


def test_the_table_allows_only_its_steps():
    assert workflow.next_status("in_review", "all_approved") is ReviewStatus.READY
    assert workflow.next_status("ready", "new_version") is ReviewStatus.IN_REVIEW
    assert workflow.next_status("changes_requested", "new_version") is ReviewStatus.IN_REVIEW
    for status, step in (
        ("ready", "approve"),
        ("ready", "request_changes"),
        ("changes_requested", "all_approved"),
    ):
        with pytest.raises(InvalidTransition):
            workflow.next_status(status, step)
    assert not workflow.for_customer_use("in_review")
    assert workflow.for_customer_use("ready")


def test_changes_requested_then_a_new_version_then_approval_makes_it_ready(ctx, world, ab_campaign):
    with freeze_time("2026-11-30 10:00:00"):
        asset = upload_image(world, ab_campaign)
        version = access.asset_version(asset)
        # Two business days, the same rule as offers.
        assert version.review_due_at == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    assert asset.status == "in_review"
    b_approver = actor(world.b.email(APPROVER))
    with pytest.raises(ValidationFailed):
        reviews.review(b_approver, asset.id, version_number=1, decision="changes_requested")
    reviews.review(
        b_approver, asset.id, version_number=1, decision="changes_requested", comment="Bigger logo"
    )
    assert db.session.get(CollateralAsset, asset.id).status == "changes_requested"

    with freeze_time("2026-12-04 16:00:00"):  # a Friday: due at the end of the next Tuesday
        version = assets.add_version(
            actor(world.a.email(PM)),
            asset.id,
            assets.VersionInput(
                stream=io.BytesIO(samples.png("green")), filename="v2.png", note="Logo"
            ),
        )
    assert version.review_due_at == datetime(2026, 12, 9, 0, 0, tzinfo=UTC)
    # A decision on the old version no longer counts, nor can it be made now.
    with pytest.raises(Conflict):
        reviews.review(b_approver, asset.id, version_number=1, decision="approved")
    with pytest.raises(Forbidden):
        reviews.review(actor(world.b.email(PM)), asset.id, version_number=2, decision="approved")
    with pytest.raises(Conflict):  # A's own version counts as A's approval
        reviews.review(
            actor(world.a.email(APPROVER)), asset.id, version_number=2, decision="approved"
        )
    reviews.review(b_approver, asset.id, version_number=2, decision="approved")
    ready = db.session.get(CollateralAsset, asset.id)
    assert ready.status == "ready" and ready.ready_at is not None
    assert ready.current_version_number == 2
    titles = set(db.session.scalars(sa.select(Notification.title)))
    assert "Ready: Shelf banner" in titles


def test_a_company_outside_the_campaign_cannot_see_or_review(ctx, world, ab_campaign):
    asset = upload_image(world, ab_campaign)
    from comarketing.errors import NotFound

    with pytest.raises(NotFound):
        reviews.review(
            actor(world.c.email("admin")), asset.id, version_number=1, decision="approved"
        )
    with pytest.raises(NotFound):
        queries.asset_view(actor(world.c.email("admin")), asset.id)


def run_cron(runner, at: str) -> str:
    with freeze_time(at):
        result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    return str(result.output).strip()


def test_send_reminders_reminds_once_then_flags_overdue_once(app, world, runner, ab_campaign):
    with app.app_context(), freeze_time("2026-11-30 10:00:00"):
        asset_id = upload_image(world, ab_campaign).id  # due at the end of Wednesday
        db.session.remove()
    quiet = "Reminded 0, flagged overdue 0, expired 0."
    assert run_cron(runner, "2026-11-30 11:00:00") == quiet
    assert (
        run_cron(runner, "2026-12-01 10:00:00")
        == quiet + "\nCollateral: reminded 1, flagged overdue 0."
    )
    assert run_cron(runner, "2026-12-01 12:00:00") == quiet
    assert (
        run_cron(runner, "2026-12-03 10:00:00")
        == quiet + "\nCollateral: reminded 0, flagged overdue 1."
    )
    assert run_cron(runner, "2026-12-04 10:00:00") == quiet
    with app.app_context():
        kinds = list(
            db.session.scalars(
                sa.select(Notification.kind).where(
                    Notification.link == f"/collateral/assets/{asset_id}"
                )
            )
        )
        db.session.remove()
    assert kinds.count("review_reminder") == 2  # B's admin and approver
    assert kinds.count("review_overdue") >= 2


def test_the_overdue_flag_shows_on_the_pages(app, client, login_as, world, ab_campaign):
    with app.app_context(), freeze_time("2026-11-30 10:00:00"):
        asset_id = upload_image(world, ab_campaign).id
        db.session.remove()
    with freeze_time("2026-12-01 09:00:00"):
        login_as(world.b.email(APPROVER))
        page = client.get(f"/collateral/assets/{asset_id}").get_data(as_text=True)
        assert 'data-testid="review-overdue"' not in page
        assert "Not for customer use" in page
    with freeze_time("2026-12-03 00:00:01"):
        login_as(world.b.email(APPROVER))
        page = client.get(f"/campaigns/{ab_campaign}/collateral").get_data(as_text=True)
        assert 'data-testid="review-overdue"' in page
