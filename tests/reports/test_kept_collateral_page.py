"""The collateral page kept as HTML under the company's data version (issue 21): every write
to a material, its reviews, uses and requests raises the parties' versions, and the kept page
holds only until a review in progress falls due; it is always the uncached app's page."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from freezegun import freeze_time

from comarketing.collateral import downloads, requests
from comarketing.collateral import reviews as creative
from comarketing.extensions import db
from tests import campaign_helpers as ch
from tests.collateral.conftest import upload_image
from tests.conftest import login, write_in
from tests.offer_helpers import actor
from tests.reports.test_dashboard_figures import PM
from tests.reports.test_report_cache import _fresh_page, _page, _without_nonces


def _request_id(campaign_id: int) -> int:
    found = db.session.scalar(
        sa.text("SELECT id FROM collateral_requests WHERE campaign_id = :c"), {"c": campaign_id}
    )
    return int(found)


def test_the_collateral_pages_kept_block_follows_every_write_and_the_clock(make_app, world):
    app = make_app(REPORT_CACHE="memory", RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    a_pm, b_analyst = world.a.email(PM), world.b.email("analyst")
    assets: list[int] = []
    with freeze_time("2027-03-15 12:00:00"):
        with app.app_context():
            joint = ch.joint_campaign(world)
            db.session.remove()

        writes = [
            ("A uploads", lambda: assets.append(upload_image(world, joint.id).id)),
            ("a second one", lambda: assets.append(upload_image(world, joint.id, title="Card").id)),
            (
                "B asks for changes",
                lambda: creative.review(
                    actor(world.b.email("approver")),
                    assets[0],
                    version_number=1,
                    decision="changes_requested",
                    comment="Bigger logo",
                ),
            ),
            (
                "B downloads",
                lambda: downloads.fetch(actor(b_analyst), assets[1], action="download"),
            ),
            (
                "B requests",
                lambda: requests.create_request(actor(b_analyst), joint.id, title="Flyer"),
            ),
            (
                "A takes the request",
                lambda: requests.take_request(actor(a_pm), _request_id(joint.id)),
            ),
        ]
        clients = {email: app.test_client() for email in (a_pm, b_analyst)}
        for email, client in clients.items():
            login(client, email)
        shown, _ = _page(clients[a_pm], "/collateral")
        for what, write in writes:
            write_in(app, write)
            now, computed = _page(clients[a_pm], "/collateral")
            again, kept = _page(clients[a_pm], "/collateral")
            assert now != shown and again == now and kept < computed, what
            for email, client in clients.items():
                page, _ = _page(client, "/collateral")
                fresh = _fresh_page(make_app, email, "/collateral")
                assert _without_nonces(page) == _without_nonces(fresh), (what, email)
            shown = now
        assert "Flyer" in shown and 'data-testid="review-overdue"' not in shown
    with freeze_time("2027-04-30 12:00:00"):  # the second material's review is past due
        for email, client in clients.items():
            login(client, email)  # signed out for idleness
            late, _ = _page(client, "/collateral")
            assert 'data-testid="review-overdue"' in late, email
            fresh = _fresh_page(make_app, email, "/collateral")
            assert _without_nonces(late) == _without_nonces(fresh), email
