"""Loading collateral through the actor's visibility — the one place tenancy is enforced.

An asset is only ever loaded through its campaign's parties or, for a draft on an offer, through
the offer's own visibility, so another company's asset answers NotFound, like a missing one. Also
the party lists an asset's changes are recorded for, and whether a draft's offer is still open."""

from __future__ import annotations

import sqlalchemy as sa

from comarketing.campaigns.access import get_visible_campaign
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.collateral.models import CollateralAsset, CollateralAssetParty, CollateralVersion
from comarketing.context import Actor
from comarketing.errors import Conflict, NotFound
from comarketing.extensions import db
from comarketing.offers import access as offer_access
from comarketing.offers.models import Offer, OfferStatus
from comarketing.policy import Action, authorize

# Drafts may be added to, versioned and reviewed while their offer is open.
OPEN_OFFER = (OfferStatus.DRAFT.value, OfferStatus.SENT.value)

#: Joins an asset to its current version.
IS_CURRENT_VERSION = sa.and_(
    CollateralVersion.asset_id == CollateralAsset.id,
    CollateralVersion.number == CollateralAsset.current_version_number,
)


def campaign_ids_of(organization_id: int) -> sa.Select[int]:
    """The campaigns the company takes part in, as a subquery to build visibility from."""
    return sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == organization_id
    )


def visible_assets(organization_id: int) -> sa.Select[CollateralAsset]:
    return sa.select(CollateralAsset).where(
        sa.or_(
            CollateralAsset.campaign_id.in_(campaign_ids_of(organization_id)),
            # A draft is seen by exactly those who see its offer: an unsent offer's drafts are
            # the proposer's alone.
            sa.and_(
                CollateralAsset.campaign_id.is_(None),
                CollateralAsset.offer_id.in_(offer_access.visible_offer_ids(organization_id)),
            ),
        )
    )


def load_asset(actor: Actor, asset_id: int, *, lock: bool = False) -> CollateralAsset:
    authorize(actor.user, Action.VIEW_COLLATERAL)
    query = visible_assets(actor.organization_id).where(CollateralAsset.id == asset_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    asset = db.session.scalar(query)
    if asset is None:
        raise NotFound()
    return asset


def visible_campaign(actor: Actor, campaign_id: int) -> Campaign:
    authorize(actor.user, Action.VIEW_COLLATERAL)
    return get_visible_campaign(actor, campaign_id)


def visible_offer(actor: Actor, offer_id: int, *, lock: bool = False) -> Offer:
    """The offer, if the actor's company may see it (NotFound otherwise). ``lock`` takes a
    shared row lock: sending or approving the offer (which lock it for update) waits for this
    transaction, and this one sees the status they leave."""
    authorize(actor.user, Action.VIEW_COLLATERAL)
    visible = offer_access.visible_offer_ids(actor.organization_id).correlate(None)
    query = sa.select(Offer).where(Offer.id == offer_id, Offer.id.in_(visible))
    if lock:
        query = query.with_for_update(read=True).execution_options(populate_existing=True)
    offer = db.session.scalar(query)
    if offer is None:
        raise NotFound()
    return offer


def load_for_change(actor: Actor, asset_id: int) -> tuple[CollateralAsset, Offer | None]:
    """The asset locked for a change, and for a draft its offer (whose status decides what the
    change may do). The offer is locked before the asset, in the order sending and approving
    the offer take them, so concurrent writers wait for each other instead of deadlocking."""
    asset = load_asset(actor, asset_id)
    offer = None
    if asset.campaign_id is None and asset.offer_id is not None:
        offer = db.session.scalar(
            sa.select(Offer)
            .where(Offer.id == asset.offer_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
    asset = load_asset(actor, asset_id, lock=True)
    if asset.campaign_id is not None:
        return asset, None  # a campaign asset (adopted meanwhile, perhaps)
    return asset, offer


def require_open(offer: Offer) -> None:
    if offer.status not in OPEN_OFFER:
        raise Conflict(
            f"This offer is {offer.status}: its draft materials are kept as a record and can "
            "still be downloaded, but they get no new versions or reviews."
        )


def is_unsent(offer: Offer | None) -> bool:
    return offer is not None and offer.status == OfferStatus.DRAFT.value


def home_party_ids(asset: CollateralAsset, offer: Offer | None = None) -> list[int]:
    """The companies whose audit log records a change of the asset: its campaign's parties, or
    its offer's — only the proposer while the offer is unsent (the partners cannot see it)."""
    if asset.campaign_id is not None:
        return campaign_party_ids(asset.campaign_id)
    if offer is not None and is_unsent(offer):
        return [offer.proposer_organization_id]
    assert asset.offer_id is not None
    return offer_access.offer_party_ids(asset.offer_id)


def campaign_party_ids(campaign_id: int) -> list[int]:
    return sorted(
        db.session.scalars(
            sa.select(CampaignParty.organization_id).where(CampaignParty.campaign_id == campaign_id)
        )
    )


def asset_party_ids(asset_id: int) -> list[int]:
    return sorted(
        db.session.scalars(
            sa.select(CollateralAssetParty.organization_id).where(
                CollateralAssetParty.asset_id == asset_id
            )
        )
    )


def asset_version(asset: CollateralAsset, number: int | None = None) -> CollateralVersion:
    """The asset's version ``number``; its current one by default."""
    version = db.session.scalar(
        sa.select(CollateralVersion).where(
            CollateralVersion.asset_id == asset.id,
            CollateralVersion.number == (number or asset.current_version_number),
        )
    )
    if version is None:
        raise NotFound()
    return version
