"""Draft materials on an offer: adding one while the offer is open, and following the offer.

A draft is seen exactly as its offer is (``access.py``). It follows the offer through two
signals (``comarketing.signals``), received here inside the offer's transaction: when the offer
is sent the drafts' review starts, and when it becomes a campaign they join the campaign's
library. Importing this module connects the receivers; the collateral views import it, so every
app does."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from comarketing import audit, signals
from comarketing.campaigns import data_version
from comarketing.collateral import assets, files, reviews
from comarketing.collateral.access import (
    IS_CURRENT_VERSION,
    home_party_ids,
    is_unsent,
    require_open,
    visible_offer,
)
from comarketing.collateral.common import committing
from comarketing.collateral.models import (
    CollateralAsset,
    CollateralAssetParty,
    CollateralReview,
    CollateralUsage,
    CollateralVersion,
)
from comarketing.context import Actor
from comarketing.errors import Conflict
from comarketing.extensions import db
from comarketing.offers import access as offer_access
from comarketing.offers.models import OfferStatus
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional


@transactional
@files.removed_if_refused
def create_offer_asset(
    actor: Actor, offer_id: int, data: assets.AssetInput, first: assets.VersionInput
) -> CollateralAsset:
    """A draft material on an open offer. While the offer is unsent nobody else sees it and no
    review request goes out (the offer's sending starts it); once sent, it is sent for review
    at once, as on a campaign."""
    authorize(actor.user, Action.MANAGE_COLLATERAL)
    offer = visible_offer(actor, offer_id, lock=True)
    if offer.status == OfferStatus.APPROVED.value:
        raise Conflict(
            "This offer was approved: add materials in the library of its joint campaign."
        )
    require_open(offer)
    asset, version = assets.new_asset(
        actor,
        data,
        first,
        home_parties=set(offer_access.offer_party_ids(offer.id)),
        offer_id=offer.id,
    )
    if not is_unsent(offer):
        reviews.send_for_review(actor, asset, version)
    audit.record(
        "collateral.asset_created",
        actor=actor,
        organization_ids=home_party_ids(asset, offer),
        target=asset,
        offer_id=offer.id,
        file_hash=version.file_hash,
    )
    with committing():
        pass
    return asset


# Drafts follow their offer: received inside the offer's transaction, so change the session and
# never commit.


@signals.offer_sent.connect
def _send_drafts_for_review(sender: Actor, /, *, offer_id: int, sent_at: datetime) -> None:
    """The offer went out: each of its drafts not yet sent for review goes now, due by the
    same business-day rule, as if just uploaded by the offer's sender."""
    sent_before = sa.exists().where(CollateralReview.version_id == CollateralVersion.id)
    rows = db.session.execute(
        sa.select(CollateralAsset, CollateralVersion)
        .join(CollateralVersion, IS_CURRENT_VERSION)
        .where(
            CollateralAsset.offer_id == offer_id,
            CollateralAsset.campaign_id.is_(None),
            CollateralVersion.review_due_at.is_(None),
            ~sent_before,
        )
        .order_by(CollateralAsset.id)
    ).all()
    if not rows:
        return
    # Owners were chosen while the offer was a private draft, whose partners may have changed
    # since: a company no longer party to the offer owns none of its drafts.
    gone = sa.and_(
        CollateralAssetParty.asset_id.in_([asset.id for asset, _ in rows]),
        CollateralAssetParty.organization_id.not_in(offer_access.offer_party_ids(offer_id)),
    )
    data_version.touch_organizations(
        db.session.scalars(sa.select(CollateralAssetParty.organization_id).where(gone))
    )
    db.session.execute(
        sa.delete(CollateralAssetParty).where(gone).execution_options(synchronize_session=False)
    )
    for asset, version in rows:
        reviews.send_for_review(sender, asset, version, now=sent_at)


@signals.joint_campaign_created.connect
def _adopt_drafts(sender: Actor, /, *, offer_id: int, campaign_id: int) -> None:
    """The offer became a campaign: its drafts join the campaign's library, and their earlier
    downloads count for the campaign. ``offer_id`` stays on them as their provenance."""
    drafts = sa.select(CollateralAsset.id).where(CollateralAsset.offer_id == offer_id)
    data_version.touch_campaigns([campaign_id])  # its library changes by statements
    db.session.execute(
        sa.update(CollateralUsage)
        .where(CollateralUsage.asset_id.in_(drafts), CollateralUsage.campaign_id.is_(None))
        .values(campaign_id=campaign_id)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        sa.update(CollateralAsset)
        .where(CollateralAsset.offer_id == offer_id, CollateralAsset.campaign_id.is_(None))
        # Bump the version counter, as every change of an asset does.
        .values(campaign_id=campaign_id, version=CollateralAsset.version + 1)
        .execution_options(synchronize_session="fetch")
    )
