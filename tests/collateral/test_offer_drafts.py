"""Drafts on an offer (issue 8): materials prepared while the terms are negotiated. Private to
the proposer while the offer is unsent, sent for review when the offer is sent, adopted by the
joint campaign (with their earlier downloads) when the offer is approved, and kept as a record
when it closes. Through the real services and the HTTP client; dates: 2026-11-30 is a Monday.
"""

from __future__ import annotations

import ast
import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from freezegun import freeze_time

import comarketing
from comarketing.accounts.models import User
from comarketing.business_days import WorkCalendar
from comarketing.campaigns.models import Campaign
from comarketing.collateral import access, assets, drafts, reports, reviews
from comarketing.collateral.models import (
    CollateralAsset,
    CollateralAssetParty,
    CollateralReview,
    CollateralUsage,
    CollateralVersion,
)
from comarketing.errors import Conflict
from comarketing.extensions import db
from comarketing.notifications import Notification
from comarketing.offers import proposals
from comarketing.offers.models import Offer, OfferRevision
from comarketing.outbox import OutboxMessage
from tests import factories
from tests.collateral import samples
from tests.collateral.conftest import actor
from tests.offer_helpers import make_terms, propose

PM, APPROVER, ANALYST = "partner_manager", "approver", "analyst"


def signed_in(app, email: str):
    client = app.test_client()
    response = client.post("/login", data={"email": email, "password": factories.TEST_PASSWORD})
    assert response.status_code == 302, email
    return client


def ab_offer(app, world, *, sent: bool = False) -> int:
    """A's A-B offer: an unsent draft, or sent to B."""
    with app.app_context():
        offer_id = propose(world.a.email(PM), [world.a.id, world.b.id])
        if sent:
            proposals.send(actor(world.a.email(PM)), offer_id)
        db.session.remove()
    return offer_id


def post_draft(client, offer_id: int, parties: list[int], **extra):
    data = {
        "title": extra.pop("title", "Recipe card"),
        "audience": "customers",
        "parties": [str(p) for p in parties],
        "file": (io.BytesIO(samples.png()), "recipe.png"),
        **extra,
    }
    return client.post(
        f"/offers/{offer_id}/collateral", data=data, content_type="multipart/form-data"
    )


def new_version(client, asset_id: int, color: str = "green"):
    return client.post(
        f"/collateral/assets/{asset_id}/versions",
        data={"file": (io.BytesIO(samples.png(color)), "v.png"), "note": "Bigger logo"},
        content_type="multipart/form-data",
    )


def review(client, asset_id: int, version: int, decision: str, comment: str = ""):
    return client.post(
        f"/collateral/assets/{asset_id}/review",
        data={"version": str(version), "decision": decision, "comment": comment},
    )


def asset_id_of(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return int(response.headers["Location"].rsplit("/", 1)[1])


def review_mail_and_bell(app, asset_id: int) -> tuple[list[str], list[int]]:
    """Who got the review request of the asset: by mail, and on the bell."""
    with app.app_context():
        mail = list(
            db.session.scalars(
                sa.select(OutboxMessage.recipient)
                .where(OutboxMessage.kind == "collateral_review")
                .order_by(OutboxMessage.recipient)
            )
        )
        bell = list(
            db.session.scalars(
                sa.select(Notification.user_id)
                .where(Notification.link == f"/collateral/assets/{asset_id}")
                .order_by(Notification.user_id)
            )
        )
        db.session.remove()
    return mail, bell


def test_a_draft_follows_its_offer_from_unsent_to_the_campaign_library(app, world):
    a, b = world.a, world.b
    offer_id = ab_offer(app, world)
    a_pm = signed_in(app, a.email(PM))
    b_approver, b_analyst = signed_in(app, b.email(APPROVER)), signed_in(app, b.email(ANALYST))

    # The offer page links its draft materials; the page offers the form to A's marketing.
    offer_page = a_pm.get(f"/offers/{offer_id}").get_data(as_text=True)
    assert f'href="/offers/{offer_id}/collateral"' in offer_page
    drafts_page = a_pm.get(f"/offers/{offer_id}/collateral")
    assert drafts_page.status_code == 200
    assert 'data-testid="asset-form"' in drafts_page.get_data(as_text=True)

    # 1. A draft on the unsent offer: no review request, nothing to B, B cannot see it.
    asset_id = asset_id_of(post_draft(a_pm, offer_id, [a.id, b.id]))
    with app.app_context():
        asset = db.session.get(CollateralAsset, asset_id)
        assert (asset.offer_id, asset.campaign_id, asset.status) == (offer_id, None, "in_review")
        version = access.asset_version(asset)
        assert version.review_due_at is None
        assert db.session.scalars(sa.select(CollateralReview)).all() == []
        db.session.remove()
    assert review_mail_and_bell(app, asset_id) == ([], [])
    for response in (
        b_approver.get(f"/collateral/assets/{asset_id}"),
        b_approver.post(f"/collateral/assets/{asset_id}/download"),
        b_analyst.get(f"/offers/{offer_id}/collateral"),
    ):
        assert response.status_code == 404
    page = a_pm.get(f"/collateral/assets/{asset_id}").get_data(as_text=True)
    assert "Draft on offer" in page and 'data-testid="waits-for-offer"' in page
    # A's own approver cannot start the review early.
    a_approver = signed_in(app, a.email(APPROVER))
    assert review(a_approver, asset_id, 1, "approved").status_code == 409

    # A download before any campaign is counted, with no campaign yet.
    download = a_pm.post(f"/collateral/assets/{asset_id}/download")
    assert download.status_code == 200
    download.close()

    # 2. Sending the offer sends the draft for review: due two business days out, the same
    # rule (and here the same moment) as the offer's own review; B's approver is told.
    assert a_pm.post(f"/offers/{offer_id}/send").status_code in (302, 303)
    with app.app_context():
        offer = db.session.get(Offer, offer_id)
        assert offer.sent_at is not None
        version = access.asset_version(db.session.get(CollateralAsset, asset_id))
        assert version.review_due_at == WorkCalendar().deadline(offer.sent_at, 2)
        revision = db.session.scalar(
            sa.select(OfferRevision).where(OfferRevision.offer_id == offer_id)
        )
        assert version.review_due_at == revision.review_due_at
        implicit = db.session.scalars(sa.select(CollateralReview)).one()
        assert (implicit.organization_id, implicit.implicit) == (a.id, True)
        db.session.remove()
    mail, bell = review_mail_and_bell(app, asset_id)
    assert mail == sorted([b.email(APPROVER), b.email("admin")])
    assert b.user_ids[APPROVER] in bell and a.user_ids[PM] not in bell
    assert b_analyst.get(f"/collateral/assets/{asset_id}").status_code == 200
    waiting = b_approver.get("/collateral").get_data(as_text=True)
    assert 'data-testid="to-review"' in waiting and "Recipe card" in waiting

    # 3. B asks for changes, A uploads version 2 (sent for review at once), B approves: ready.
    assert review(b_approver, asset_id, 1, "changes_requested", "Bigger logo").status_code == 303
    assert new_version(a_pm, asset_id).status_code == 303
    with app.app_context():
        asset = db.session.get(CollateralAsset, asset_id)
        assert (asset.status, asset.current_version_number) == ("in_review", 2)
        assert access.asset_version(asset).review_due_at is not None
        db.session.remove()
    assert review(b_approver, asset_id, 2, "approved").status_code == 303
    with app.app_context():
        assert db.session.get(CollateralAsset, asset_id).status == "ready"
        db.session.remove()
    download = b_analyst.post(f"/collateral/assets/{asset_id}/download")
    assert download.status_code == 200
    download.close()
    with app.app_context():
        organization = reports.organization_report(actor(a.email(PM)))
        assert organization.rows == []  # a draft is no campaign's yet
        db.session.remove()

    # 4. A's approver (A's partner manager proposed) and then B approve the offer: the draft
    # joins the campaign's library with its downloads.
    own = a_approver.post(
        f"/offers/{offer_id}/decide", data={"revision_number": "1", "decision": "approved"}
    )
    assert own.status_code in (302, 303)
    decided = b_approver.post(
        f"/offers/{offer_id}/decide", data={"revision_number": "1", "decision": "approved"}
    )
    assert decided.status_code in (302, 303)
    with app.app_context():
        campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.offer_id == offer_id))
        assert campaign_id is not None
        asset = db.session.get(CollateralAsset, asset_id)
        assert (asset.campaign_id, asset.offer_id, asset.status) == (campaign_id, offer_id, "ready")
        usage = db.session.scalars(sa.select(CollateralUsage.campaign_id)).all()
        assert usage == [campaign_id, campaign_id]
        report = reports.campaign_report(actor(a.email(PM)), campaign_id)
        row = report.rows[0]
        assert (row.asset_id, row.downloads) == (asset_id, 2)
        assert row.by_party == {a.id: 1, b.id: 1}
        db.session.remove()
    library = b_analyst.get(f"/campaigns/{campaign_id}/collateral").get_data(as_text=True)
    assert f"/collateral/assets/{asset_id}" in library
    report_page = a_pm.get(f"/campaigns/{campaign_id}/collateral/report").get_data(as_text=True)
    assert f'data-asset-id="{asset_id}"' in report_page
    page = a_pm.get(f"/collateral/assets/{asset_id}").get_data(as_text=True)
    assert f"offer #{offer_id}" in page and f"/campaigns/{campaign_id}/collateral" in page
    drafts = a_pm.get(f"/offers/{offer_id}/collateral").get_data(as_text=True)
    assert 'data-testid="adopted"' in drafts and 'data-testid="asset-form"' not in drafts
    # No more drafts on an approved offer: the campaign's library is the place now.
    refused = post_draft(a_pm, offer_id, [a.id])
    assert refused.status_code == 409
    assert "library of its joint campaign" in refused.get_data(as_text=True)
    # Versions and reviews go on as for every campaign asset.
    assert new_version(a_pm, asset_id, "blue").status_code == 303


def test_a_draft_on_a_sent_offer_goes_for_review_at_once(app, world):
    a, b = world.a, world.b
    offer_id = ab_offer(app, world, sent=True)
    b_pm = signed_in(app, b.email(PM))
    # The partner adds one too: the proposer's approvers review it.
    asset_id = asset_id_of(post_draft(b_pm, offer_id, [a.id, b.id], title="Beta flyer"))
    mail, _ = review_mail_and_bell(app, asset_id)
    assert mail == sorted([a.email(APPROVER), a.email("admin")])
    with app.app_context():
        assert access.asset_version(db.session.get(CollateralAsset, asset_id)).review_due_at
        db.session.remove()
    # Only the offer's parties may own its drafts.
    refused = post_draft(b_pm, offer_id, [b.id, world.c.id])
    assert refused.status_code == 422
    # A company outside the offer sees nothing.
    c_admin = signed_in(app, world.c.email("admin"))
    assert c_admin.get(f"/collateral/assets/{asset_id}").status_code == 404
    assert c_admin.get(f"/offers/{offer_id}/collateral").status_code == 404


def test_a_closed_offer_keeps_its_drafts_as_a_record_and_refuses_changes(app, world):
    a, b = world.a, world.b
    offer_id = ab_offer(app, world, sent=True)
    a_pm = signed_in(app, a.email(PM))
    asset_id = asset_id_of(post_draft(a_pm, offer_id, [a.id, b.id]))
    b_approver = signed_in(app, b.email(APPROVER))
    rejected = b_approver.post(
        f"/offers/{offer_id}/decide",
        data={"revision_number": "1", "decision": "rejected", "comment": "Not this year"},
    )
    assert rejected.status_code in (302, 303)

    refused = new_version(a_pm, asset_id)
    assert refused.status_code == 409
    assert "This offer is rejected" in refused.get_data(as_text=True)
    assert review(b_approver, asset_id, 1, "approved").status_code == 409
    assert post_draft(a_pm, offer_id, [a.id]).status_code == 409
    with app.app_context():
        asset = db.session.get(CollateralAsset, asset_id)
        assert (asset.current_version_number, asset.status) == (1, "in_review")
        db.session.remove()
    # Still readable and downloadable, without review controls or an overdue flag.
    page = a_pm.get(f"/collateral/assets/{asset_id}").get_data(as_text=True)
    assert 'data-testid="offer-closed"' in page and 'data-testid="version-form"' not in page
    assert 'data-testid="review-form"' not in b_approver.get(
        f"/collateral/assets/{asset_id}"
    ).get_data(as_text=True)
    download = b_approver.post(f"/collateral/assets/{asset_id}/download")
    assert download.status_code == 200
    download.close()
    drafts = a_pm.get(f"/offers/{offer_id}/collateral").get_data(as_text=True)
    assert "Recipe card" in drafts and 'data-testid="asset-form"' not in drafts


def test_review_deadlines_cover_drafts_and_skip_those_of_closed_offers(app, world, runner):
    a, b = world.a, world.b
    with app.app_context(), freeze_time("2026-11-30 10:00:00"):  # a Monday
        a_pm = actor(a.email(PM))
        open_offer = propose(a.email(PM), [a.id, b.id])
        closing = propose(a.email(PM), [a.id, b.id], make_terms([a.id, b.id], title="Winter"))
        ids = []
        for offer_id in (open_offer, closing):
            data = assets.AssetInput(title=f"Card {offer_id}", party_ids=[a.id, b.id])
            first = assets.VersionInput(stream=io.BytesIO(samples.png()), filename="c.png")
            ids.append(drafts.create_offer_asset(a_pm, offer_id, data, first).id)
            proposals.send(a_pm, offer_id)
        version = access.asset_version(db.session.get(CollateralAsset, ids[0]))
        assert version.review_due_at == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
        proposals.withdraw(a_pm, closing, reason="Too late in the year")
        db.session.remove()
    with freeze_time("2026-12-03 10:00:00"):
        result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "Collateral: reminded 0, flagged overdue 1." in result.output
    with app.app_context():
        links = set(
            db.session.scalars(
                sa.select(Notification.link).where(
                    Notification.kind == "review_overdue",
                    Notification.link.startswith("/collateral/"),
                )
            )
        )
        assert links == {f"/collateral/assets/{ids[0]}"}  # not the withdrawn offer's draft
        db.session.remove()


def test_owners_dropped_from_the_draft_offer_are_dropped_from_its_drafts(ctx, world):
    a, b, c = world.a, world.b, world.c
    b_pm = actor(b.email(PM))
    offer_id = propose(b.email(PM), [a.id, b.id, c.id])
    data = assets.AssetInput(title="Three-brand card", party_ids=[a.id, b.id, c.id])
    first = assets.VersionInput(link="https://example.com/card")
    asset = drafts.create_offer_asset(b_pm, offer_id, data, first)
    proposals.update_draft(b_pm, offer_id, partner_ids=[a.id], terms=make_terms([a.id, b.id]))
    proposals.send(b_pm, offer_id)
    owners = set(
        db.session.scalars(
            sa.select(CollateralAssetParty.organization_id).where(
                CollateralAssetParty.asset_id == asset.id
            )
        )
    )
    assert owners == {a.id, b.id}
    # The review request went to A only.
    assert set(
        db.session.scalars(
            sa.select(OutboxMessage.recipient).where(OutboxMessage.kind == "collateral_review")
        )
    ) == {a.email(APPROVER), a.email("admin")}


def test_no_review_of_a_draft_before_its_offer_is_sent(ctx, world):
    a, b = world.a, world.b
    offer_id = propose(a.email(PM), [a.id, b.id])
    data = assets.AssetInput(title="Teaser", party_ids=[a.id, b.id])
    asset = drafts.create_offer_asset(
        actor(a.email(PM)), offer_id, data, assets.VersionInput(link="https://example.com/t")
    )
    with pytest.raises(Conflict):
        reviews.review(actor(a.email(APPROVER)), asset.id, version_number=1, decision="approved")
    assets.add_version(
        actor(a.email(PM)), asset.id, assets.VersionInput(link="https://example.com/t2")
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CollateralReview)) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(CollateralVersion)
            .where(CollateralVersion.review_due_at.is_not(None))
        )
        == 0
    )
    proposals.send(actor(a.email(PM)), offer_id)
    # Only the current version goes for review.
    due = dict(
        db.session.execute(
            sa.select(CollateralVersion.number, CollateralVersion.review_due_at).where(
                CollateralVersion.asset_id == asset.id
            )
        ).all()
    )
    assert due[1] is None and due[2] is not None


def test_the_drafts_page_runs_a_fixed_number_of_queries(app, world, query_counter):
    a, b = world.a, world.b
    offer_id = ab_offer(app, world, sent=True)
    client = signed_in(app, a.email(PM))

    def count() -> int:
        with query_counter() as statements:
            assert client.get(f"/offers/{offer_id}/collateral").status_code == 200
        return len(statements)

    asset_id_of(post_draft(client, offer_id, [a.id, b.id]))
    few = count()
    for n in range(4):
        asset_id_of(post_draft(client, offer_id, [a.id, b.id], title=f"Card {n}"))
    assert count() == few


def test_a_draft_upload_has_the_collateral_size_limit(make_app, tmp_path):
    """Above the general request limit, within the collateral one: accepted; beyond: 413."""
    app = make_app(
        MAX_CONTENT_LENGTH=20_000,
        COLLATERAL_UPLOAD_MAX_BYTES=100_000,
        COLLATERAL_UPLOAD_DIR=str(tmp_path),
    )
    with app.app_context():
        world = factories.build_world()
        db.session.remove()
    offer_id = ab_offer(app, world)
    client = signed_in(app, world.a.email(PM))

    def upload(size: int):
        content = samples.png() + b"\x00" * size
        return client.post(
            f"/offers/{offer_id}/collateral",
            data={"title": "Big", "audience": "sales", "file": (io.BytesIO(content), "b.png")},
            content_type="multipart/form-data",
        )

    assert upload(50_000).status_code == 303
    assert upload(200_000).status_code == 413


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_offers_never_import_collateral_and_signals_import_no_domain_package():
    package = Path(comarketing.__file__).parent
    for path in (package / "offers").glob("*.py"):
        assert not any(m.startswith("comarketing.collateral") for m in imported_modules(path))
    assert not any(m.startswith("comarketing") for m in imported_modules(package / "signals.py"))


@pytest.mark.pg_only
def test_a_draft_added_while_its_offer_is_being_sent_is_still_sent_for_review(app, world):
    """The offer is sent and a draft added at the same moment. Whichever commits first, the
    draft goes to B for review exactly once: the draft waits for the offer's row, so it either
    sees the offer sent (and sends itself) or is there when the sending picks the drafts up."""
    from tests.functional.test_offer_concurrency import at_once

    a, b = world.a, world.b

    def in_context(email: str, write: Callable[[Any], object]) -> Callable[[Any], object]:
        def call(barrier: Any) -> object:
            with app.app_context():
                try:
                    who = actor(email)  # loaded before the barrier: only the writes race
                    barrier.wait()
                    return write(who)
                finally:
                    db.session.remove()

        return call

    for _ in range(4):
        offer_id = ab_offer(app, world)
        sent, asset = at_once(
            [
                in_context(
                    a.email(PM),
                    lambda who, offer_id=offer_id: proposals.send(who, offer_id).status,
                ),
                in_context(
                    a.email("admin"),
                    lambda who, offer_id=offer_id: (
                        drafts.create_offer_asset(
                            who,
                            offer_id,
                            assets.AssetInput(title="Card", party_ids=[a.id, b.id]),
                            assets.VersionInput(link="https://example.com/card"),
                        ).id
                    ),
                ),
            ]
        )
        assert sent == "sent" and isinstance(asset, int), (sent, asset)
        with app.app_context():
            version = access.asset_version(db.session.get(CollateralAsset, asset))
            assert version.review_due_at is not None
            b_users = set(
                db.session.scalars(sa.select(User.id).where(User.organization_id == b.id))
            )
            db.session.remove()
        _, bell = review_mail_and_bell(app, asset)
        # B's reviewers, each asked once.
        assert bell and set(bell) <= b_users and len(bell) == len(set(bell)), bell
