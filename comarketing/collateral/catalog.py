"""The paged list of the assets a company sees (the API's collateral list): those of every
campaign it takes part in and the drafts on the offers it sees, filtered by campaign and
review status, the latest changed first. Counted and paged in SQL; the cards of a page come
from ``queries.asset_cards`` in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from comarketing.collateral.access import visible_assets, visible_campaign, visible_offer
from comarketing.collateral.models import CollateralAsset
from comarketing.collateral.queries import AssetCard, asset_cards
from comarketing.context import Actor
from comarketing.db import page_and_total
from comarketing.extensions import db
from comarketing.policy import Action, authorize


@dataclass
class AssetPage:
    cards: list[AssetCard]
    page: int
    per_page: int
    total: int

    @property
    def has_more(self) -> bool:
        return self.page * self.per_page < self.total


def asset_page(
    actor: Actor,
    *,
    page: int,
    per_page: int,
    campaign_id: int | None = None,
    offer_id: int | None = None,
    status: str | None = None,
) -> AssetPage:
    """One page of the assets the actor's company sees. ``campaign_id`` must be a campaign it
    takes part in and ``offer_id`` an offer it sees (NotFound otherwise, like a missing one):
    a library, or the materials drafted on an offer (adopted ones included)."""
    authorize(actor.user, Action.VIEW_COLLATERAL)
    query = visible_assets(actor.organization_id)
    if campaign_id is not None:
        query = query.where(CollateralAsset.campaign_id == visible_campaign(actor, campaign_id).id)
    if offer_id is not None:
        query = query.where(CollateralAsset.offer_id == visible_offer(actor, offer_id).id)
    if status is not None:
        query = query.where(CollateralAsset.status == status)
    assets, total = page_and_total(
        db.session,
        query,
        (CollateralAsset.updated_at.desc(), CollateralAsset.id.desc()),
        page=page,
        per_page=per_page,
    )
    return AssetPage(asset_cards(assets), page, per_page, int(total))
