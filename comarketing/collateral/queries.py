"""What the collateral pages show: the company overview, a campaign's library, the drafts on
an offer and one asset with its versions, reviews and recent use.

Read-only, and in a fixed number of queries per page whatever the number of assets (``asset_cards``
loads current versions, owners, use counts and draft offers for many assets at once)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from comarketing.accounts.models import Organization, User
from comarketing.campaigns import cache
from comarketing.campaigns.cache import Later
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.collateral import files, workflow
from comarketing.collateral.access import (
    IS_CURRENT_VERSION,
    OPEN_OFFER,
    campaign_ids_of,
    load_asset,
    visible_assets,
    visible_campaign,
    visible_offer,
)
from comarketing.collateral.models import (
    CollateralAsset,
    CollateralAssetParty,
    CollateralReview,
    CollateralUsage,
    CollateralVersion,
    RequestStatus,
    ReviewStatus,
)
from comarketing.collateral.requests import RequestRow, request_rows
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.extensions import db
from comarketing.offers.models import Offer, OfferParty, OfferRevision, OfferStatus
from comarketing.policy import Action, authorize, can


@dataclass
class ReviewLine:
    organization_id: int
    organization: str
    decision: CollateralReview | None
    reviewer: str = ""


@dataclass
class AssetCard:
    asset: CollateralAsset
    version: CollateralVersion
    party_names: list[str]
    overdue: bool
    uses: int = 0
    # For a draft that no campaign adopted yet: its offer's status and title.
    offer_status: str | None = None
    offer_title: str = ""

    @property
    def status(self) -> ReviewStatus:
        return ReviewStatus(self.asset.status)

    @property
    def is_draft(self) -> bool:
        return self.offer_status is not None

    @property
    def waits_for_offer(self) -> bool:
        """A draft on an unsent offer: its review starts when the offer is sent."""
        return self.offer_status == OfferStatus.DRAFT.value

    @property
    def frozen(self) -> bool:
        """A draft on a closed offer: kept as a record, no new versions or reviews."""
        return self.offer_status is not None and self.offer_status not in OPEN_OFFER

    @property
    def for_customer_use(self) -> bool:
        return workflow.for_customer_use(self.asset.status)

    @property
    def file_type(self) -> files.FileType | None:
        return files.KNOWN_TYPES.get(self.version.media_type or "")


@dataclass
class AssetView:
    card: AssetCard
    campaign: Campaign | None  # None: a draft on an offer (``card.asset.offer_id``)
    versions: list[CollateralVersion]
    reviews: dict[int, list[tuple[CollateralReview, str, str]]]  # version id -> (review, org, who)
    current_reviews: list[ReviewLine]
    usage: list[tuple[CollateralUsage, str, str]]  # (usage, organization, user)
    may_review: bool
    may_add_version: bool


def _is_overdue(asset: CollateralAsset, version: CollateralVersion, now: datetime) -> bool:
    due = version.review_due_at
    return asset.status == ReviewStatus.IN_REVIEW.value and due is not None and now >= due


def _draft_offers(assets: Sequence[CollateralAsset]) -> dict[int, tuple[str, str]]:
    """Status and current title of the offers of the drafts among ``assets``, in one query
    (none when there is no draft)."""
    offer_ids = {a.offer_id for a in assets if a.campaign_id is None and a.offer_id is not None}
    if not offer_ids:
        return {}
    rows = db.session.execute(
        sa.select(Offer.id, Offer.status, OfferRevision.title)
        .join(
            OfferRevision,
            sa.and_(
                OfferRevision.offer_id == Offer.id,
                OfferRevision.number == Offer.current_revision_number,
            ),
        )
        .where(Offer.id.in_(offer_ids))
    )
    return {offer_id: (status, title) for offer_id, status, title in rows}


def asset_cards(assets: Sequence[CollateralAsset]) -> list[AssetCard]:
    """Current version, party names and use counts of many assets in three queries (and one
    more for the offers of drafts among them)."""
    if not assets:
        return []
    ids = [a.id for a in assets]
    versions = {
        v.asset_id: v
        for v in db.session.scalars(
            sa.select(CollateralVersion)
            .join(CollateralAsset, CollateralAsset.id == CollateralVersion.asset_id)
            .where(
                CollateralVersion.asset_id.in_(ids),
                CollateralVersion.number == CollateralAsset.current_version_number,
            )
        )
    }
    names: dict[int, list[str]] = {}
    for asset_id, name in db.session.execute(
        sa.select(CollateralAssetParty.asset_id, Organization.name)
        .join(Organization, Organization.id == CollateralAssetParty.organization_id)
        .where(CollateralAssetParty.asset_id.in_(ids))
        .order_by(Organization.name)
    ):
        names.setdefault(asset_id, []).append(name)
    uses = dict(
        db.session.execute(
            sa.select(CollateralUsage.asset_id, sa.func.count())
            .where(CollateralUsage.asset_id.in_(ids))
            .group_by(CollateralUsage.asset_id)
        ).all()
    )
    drafts = _draft_offers(assets)
    now = utcnow()
    cards = []
    for a in assets:
        offer_status: str | None = None
        offer_title = ""
        if a.campaign_id is None and a.offer_id is not None:
            offer_status, offer_title = drafts[a.offer_id]
        card = AssetCard(
            asset=a,
            version=versions[a.id],
            party_names=names.get(a.id, []),
            overdue=_is_overdue(a, versions[a.id], now),
            uses=int(uses.get(a.id, 0)),
            offer_status=offer_status,
            offer_title=offer_title,
        )
        card.overdue = card.overdue and not card.frozen
        cards.append(card)
    return cards


@dataclass
class Library:
    campaign: Campaign
    parties: list[Organization]
    cards: list[AssetCard]
    requests: list[RequestRow]


def library(actor: Actor, campaign_id: int) -> Library:
    campaign = visible_campaign(actor, campaign_id)
    parties = _organizations(
        CampaignParty.organization_id, CampaignParty.campaign_id == campaign.id
    )
    assets = _assets_where(CollateralAsset.campaign_id == campaign.id)
    return Library(campaign, parties, asset_cards(assets), request_rows(actor, [campaign.id]))


def _organizations(
    party_column: sa.orm.InstrumentedAttribute[int], where: sa.ColumnElement[bool]
) -> list[Organization]:
    """The parties (of a campaign or an offer) by name."""
    return list(
        db.session.scalars(
            sa.select(Organization)
            .join(party_column.class_, party_column == Organization.id)
            .where(where)
            .order_by(Organization.name)
        )
    )


def _assets_where(where: sa.ColumnElement[bool]) -> list[CollateralAsset]:
    """Assets, the latest changed first."""
    return list(
        db.session.scalars(
            sa.select(CollateralAsset)
            .where(where)
            .order_by(CollateralAsset.updated_at.desc(), CollateralAsset.id.desc())
        )
    )


@dataclass
class Overview:
    cards: list[tuple[AssetCard, str]]  # (card, campaign name; "" for a draft on an offer)
    requests: list[tuple[RequestRow, str]]
    to_review: list[AssetCard]


def overview(actor: Actor) -> Overview:
    """Every asset of every campaign the company takes part in, and the drafts on the offers
    it sees, newest first."""
    authorize(actor.user, Action.VIEW_COLLATERAL)
    rows = db.session.execute(
        visible_assets(actor.organization_id)
        .add_columns(Campaign.name)
        .outerjoin(Campaign, Campaign.id == CollateralAsset.campaign_id)
        .order_by(CollateralAsset.updated_at.desc(), CollateralAsset.id.desc())
        .limit(200)
    ).all()
    cards = asset_cards([asset for asset, _ in rows])
    campaign_names = {asset.id: name or "" for asset, name in rows}
    # The company's campaigns with their names, in one statement.
    names: dict[int, str] = dict(
        db.session.execute(
            sa.select(Campaign.id, Campaign.name).where(
                Campaign.id.in_(campaign_ids_of(actor.organization_id))
            )
        ).all()
    )
    campaign_ids = list(names)
    requests = [
        (row, names.get(row.request.campaign_id, ""))
        for row in request_rows(actor, campaign_ids)
        if row.request.status != RequestStatus.DELIVERED.value
    ]
    waiting = _waiting_for(actor.organization_id, [c.asset.id for c in cards])
    return Overview(
        cards=[(card, campaign_names[card.asset.id]) for card in cards],
        requests=requests,
        to_review=[c for c in cards if c.asset.id in waiting and not c.frozen],
    )


def overview_shown(actor: Actor, now: datetime) -> tuple[Later[Overview], datetime | None]:
    """The collateral page's overview, read only when its kept block is not (every write to
    a material, its reviews, uses or requests raises the parties' data versions), and the
    first instant the clock alone changes it (a review in progress falls due)."""
    authorize(actor.user, Action.VIEW_COLLATERAL)
    shown = Later(lambda: overview(actor))

    def read() -> cache.Until[None]:
        dues = [
            card.version.review_due_at
            for card, _ in shown.value.cards
            if card.asset.status == ReviewStatus.IN_REVIEW.value and not card.frozen
        ]
        return cache.Until(None, cache.first_from(now, *dues))

    clock = cache.until(actor.organization_id, "collateral-overview", (), read, now)
    return shown, clock.changes_at


def _waiting_for(organization_id: int, asset_ids: Sequence[int]) -> set[int]:
    """Assets in review whose current version this company owns and has not decided on."""
    if not asset_ids:
        return set()
    decided = (
        sa.select(CollateralReview.version_id)
        .where(CollateralReview.organization_id == organization_id)
        .scalar_subquery()
    )
    return set(
        db.session.scalars(
            sa.select(CollateralAsset.id)
            .join(CollateralAssetParty, CollateralAssetParty.asset_id == CollateralAsset.id)
            .join(CollateralVersion, IS_CURRENT_VERSION)
            .where(
                CollateralAsset.id.in_(asset_ids),
                CollateralAsset.status == ReviewStatus.IN_REVIEW.value,
                CollateralAssetParty.organization_id == organization_id,
                # Sent for review (a draft on an unsent offer is not yet).
                CollateralVersion.review_due_at.is_not(None),
                CollateralVersion.id.not_in(decided),
            )
        )
    )


def asset_view(actor: Actor, asset_id: int) -> AssetView:
    asset = load_asset(actor, asset_id)
    campaign = None
    if asset.campaign_id is not None:
        campaign = db.session.get(Campaign, asset.campaign_id)
        assert campaign is not None
    card = asset_cards([asset])[0]
    versions = list(
        db.session.scalars(
            sa.select(CollateralVersion)
            .where(CollateralVersion.asset_id == asset.id)
            .order_by(CollateralVersion.number.desc())
        )
    )
    reviews = _reviews_by_version(asset.id)
    parties = dict(
        db.session.execute(
            sa.select(Organization.id, Organization.name)
            .join(CollateralAssetParty, CollateralAssetParty.organization_id == Organization.id)
            .where(CollateralAssetParty.asset_id == asset.id)
            .order_by(Organization.name)
        ).all()
    )
    current = {r.organization_id: (r, who) for r, _, who in reviews.get(card.version.id, [])}
    lines = [
        ReviewLine(
            org_id,
            name,
            current[org_id][0] if org_id in current else None,
            current[org_id][1] if org_id in current else "",
        )
        for org_id, name in parties.items()
    ]
    usage = _recent_usage(asset.id)
    mine = actor.organization_id in parties
    return AssetView(
        card=card,
        campaign=campaign,
        versions=versions,
        reviews=reviews,
        current_reviews=lines,
        usage=usage,
        may_review=mine
        and can(actor.user, Action.REVIEW_COLLATERAL)
        and asset.status != ReviewStatus.READY.value
        and actor.organization_id not in current
        and not card.waits_for_offer
        and not card.frozen,
        may_add_version=mine and can(actor.user, Action.MANAGE_COLLATERAL) and not card.frozen,
    )


def _reviews_by_version(asset_id: int) -> dict[int, list[tuple[CollateralReview, str, str]]]:
    """Every decision on the asset, oldest first, by version id: (review, company, reviewer)."""
    reviews: dict[int, list[tuple[CollateralReview, str, str]]] = {}
    reviewer = sa.orm.aliased(User)
    for item, org_name, user_name in db.session.execute(
        sa.select(CollateralReview, Organization.name, reviewer.name)
        .join(Organization, Organization.id == CollateralReview.organization_id)
        .outerjoin(reviewer, reviewer.id == CollateralReview.user_id)
        .where(CollateralReview.asset_id == asset_id)
        .order_by(CollateralReview.created_at, CollateralReview.id)
    ):
        reviews.setdefault(item.version_id, []).append((item, org_name, user_name or ""))
    return reviews


def _recent_usage(asset_id: int) -> list[tuple[CollateralUsage, str, str]]:
    """The latest 50 downloads and opens: (usage, company, user)."""
    return [
        (u, org, name or "")
        for u, org, name in db.session.execute(
            sa.select(CollateralUsage, Organization.name, User.name)
            .join(Organization, Organization.id == CollateralUsage.organization_id)
            .outerjoin(User, User.id == CollateralUsage.user_id)
            .where(CollateralUsage.asset_id == asset_id)
            .order_by(CollateralUsage.created_at.desc(), CollateralUsage.id.desc())
            .limit(50)
        )
    ]


@dataclass
class OfferDrafts:
    """The draft materials of an offer, and what may be done with them now."""

    offer: Offer
    title: str
    parties: list[Organization]
    cards: list[AssetCard]
    campaign_id: int | None  # the joint campaign an approved offer became

    @property
    def is_open(self) -> bool:
        return self.offer.status in OPEN_OFFER

    @property
    def is_unsent(self) -> bool:
        return self.offer.status == OfferStatus.DRAFT.value


def offer_drafts(actor: Actor, offer_id: int) -> OfferDrafts:
    """Everything drafted on an offer, adopted ones included, in a fixed number of queries."""
    offer = visible_offer(actor, offer_id)
    title = db.session.scalar(
        sa.select(OfferRevision.title).where(
            OfferRevision.offer_id == offer.id,
            OfferRevision.number == offer.current_revision_number,
        )
    )
    parties = _organizations(OfferParty.organization_id, OfferParty.offer_id == offer.id)
    assets = _assets_where(CollateralAsset.offer_id == offer.id)
    campaign_id = None
    if offer.status == OfferStatus.APPROVED.value:
        campaign_id = db.session.scalar(sa.select(Campaign.id).where(Campaign.offer_id == offer.id))
    return OfferDrafts(offer, title or "", parties, asset_cards(assets), campaign_id)
