"""Collateral: assets and versions, creative review, downloads, requests, review deadlines.

Every public function takes the acting user, checks the policy and the review table
(``workflow.py``), owns its transaction and raises domain errors. Assets are only ever loaded
through the campaign's parties — or, for a draft on an offer, through the offer's own visibility
— so another company's asset answers NotFound, like a missing one.

Drafts on an offer follow the offer through two signals (``comarketing.signals``), received here
inside the offer's transaction: when the offer is sent their review starts, and when it becomes a
campaign they join the campaign's library.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from comarketing import audit, notifications, signals
from comarketing.accounts.models import Organization, User
from comarketing.business_days import add_business_days
from comarketing.campaigns.access import get_visible_campaign
from comarketing.campaigns.models import Campaign, CampaignParty
from comarketing.collateral import files, workflow
from comarketing.collateral.models import (
    AssetKind,
    Audience,
    CollateralAsset,
    CollateralAssetParty,
    CollateralRequest,
    CollateralRequestVote,
    CollateralReview,
    CollateralUsage,
    CollateralVersion,
    RequestStatus,
    ReviewDecision,
    ReviewStatus,
    UsageAction,
)
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Conflict, Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.notifications import Recipient
from comarketing.offers import access as offer_access
from comarketing.offers.models import Offer, OfferParty, OfferRevision, OfferStatus
from comarketing.policy import Action, Role, authorize, can
from comarketing.unit_of_work import transactional

MAX_COMMENT = 5000
MAX_DESCRIPTION = 5000
DEFAULT_REVIEW_DAYS = 2
DECIDERS = (Role.ADMIN, Role.APPROVER)
MARKETING = (Role.ADMIN, Role.PARTNER_MANAGER)
# Drafts may be added to, versioned and reviewed while their offer is open.
OPEN_OFFER = (OfferStatus.DRAFT.value, OfferStatus.SENT.value)


# ---------------------------------------------------------------------------------------------
# Input


@dataclass
class AssetInput:
    title: str
    description: str = ""
    audience: str = Audience.SALES.value
    party_ids: list[int] = field(default_factory=list)


@dataclass
class VersionInput:
    """A file (``stream`` and the client's ``filename``) or a ``link``; ``note`` says what
    changed."""

    stream: IO[bytes] | None = None
    filename: str | None = None
    link: str = ""
    note: str = ""


def _text(value: str, field_name: str, limit: int, *, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed("This field is required.", field=field_name)
    if len(value) > limit:
        raise ValidationFailed(f"At most {limit} characters.", field=field_name)
    return value


def _clean_link(link: str) -> str:
    link = (link or "").strip()
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 1000:
        raise ValidationFailed("Give a full http:// or https:// address.", field="link")
    if any(ord(ch) < 33 for ch in link):
        raise ValidationFailed("An address has no spaces or control characters.", field="link")
    return link


# ---------------------------------------------------------------------------------------------
# Loading, always through the campaign's parties (or, for a draft, the offer's visibility)


def _visible_assets(organization_id: int) -> sa.Select[CollateralAsset]:
    mine = sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == organization_id
    )
    return sa.select(CollateralAsset).where(
        sa.or_(
            CollateralAsset.campaign_id.in_(mine),
            # A draft is seen by exactly those who see its offer: an unsent offer's drafts are
            # the proposer's alone.
            sa.and_(
                CollateralAsset.campaign_id.is_(None),
                CollateralAsset.offer_id.in_(offer_access.visible_offer_ids(organization_id)),
            ),
        )
    )


def _load(actor: Actor, asset_id: int, *, lock: bool = False) -> CollateralAsset:
    authorize(actor.user, Action.VIEW_COLLATERAL)
    query = _visible_assets(actor.organization_id).where(CollateralAsset.id == asset_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    asset = db.session.scalar(query)
    if asset is None:
        raise NotFound()
    return asset


def visible_campaign(actor: Actor, campaign_id: int) -> Campaign:
    authorize(actor.user, Action.VIEW_COLLATERAL)
    return get_visible_campaign(actor, campaign_id)


def _visible_offer(actor: Actor, offer_id: int, *, lock: bool = False) -> Offer:
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


def _load_for_change(actor: Actor, asset_id: int) -> tuple[CollateralAsset, Offer | None]:
    """The asset locked for a change, and for a draft its offer (whose status decides what the
    change may do). The offer is locked before the asset, in the order sending and approving
    the offer take them, so concurrent writers wait for each other instead of deadlocking."""
    asset = _load(actor, asset_id)
    offer = None
    if asset.campaign_id is None and asset.offer_id is not None:
        offer = db.session.scalar(
            sa.select(Offer)
            .where(Offer.id == asset.offer_id)
            .with_for_update(read=True)
            .execution_options(populate_existing=True)
        )
    asset = _load(actor, asset_id, lock=True)
    if asset.campaign_id is not None:
        return asset, None  # a campaign asset (adopted meanwhile, perhaps)
    return asset, offer


def _require_open(offer: Offer) -> None:
    if offer.status not in OPEN_OFFER:
        raise Conflict(
            f"This offer is {offer.status}: its draft materials are kept as a record and can "
            "still be downloaded, but they get no new versions or reviews."
        )


def _is_unsent(offer: Offer | None) -> bool:
    return offer is not None and offer.status == OfferStatus.DRAFT.value


def _home_party_ids(asset: CollateralAsset, offer: Offer | None = None) -> list[int]:
    """The companies whose audit log records a change of the asset: its campaign's parties, or
    its offer's — only the proposer while the offer is unsent (the partners cannot see it)."""
    if asset.campaign_id is not None:
        return _campaign_party_ids(asset.campaign_id)
    if offer is not None and _is_unsent(offer):
        return [offer.proposer_organization_id]
    assert asset.offer_id is not None
    return offer_access.offer_party_ids(asset.offer_id)


def _campaign_party_ids(campaign_id: int) -> list[int]:
    return sorted(
        db.session.scalars(
            sa.select(CampaignParty.organization_id).where(CampaignParty.campaign_id == campaign_id)
        )
    )


def _asset_party_ids(asset_id: int) -> list[int]:
    return sorted(
        db.session.scalars(
            sa.select(CollateralAssetParty.organization_id).where(
                CollateralAssetParty.asset_id == asset_id
            )
        )
    )


def _version(asset: CollateralAsset, number: int | None = None) -> CollateralVersion:
    version = db.session.scalar(
        sa.select(CollateralVersion).where(
            CollateralVersion.asset_id == asset.id,
            CollateralVersion.number == (number or asset.current_version_number),
        )
    )
    if version is None:
        raise NotFound()
    return version


@contextmanager
def _committing() -> Iterator[None]:
    """Commit at the end; a concurrent writer that got there first turns into Conflict."""
    try:
        yield
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict(
            "Someone else changed this asset at the same moment. Reload the page."
        ) from exc
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        raise Conflict("This was already recorded by someone else. Reload the page.") from exc


def _people(
    organization_ids: Sequence[int], roles: Sequence[Role], exclude_user_id: int | None = None
) -> list[Recipient]:
    if not organization_ids:
        return []
    rows = db.session.execute(
        sa.select(User.id, User.email).where(
            User.organization_id.in_(organization_ids),
            User.active,
            User.role.in_([r.value for r in roles]),
        )
    )
    return [Recipient(uid, email) for uid, email in rows if uid != exclude_user_id]


def _notify_asset(
    asset: CollateralAsset, recipients: list[Recipient], *, kind: str, title: str, text: str
) -> None:
    link = absolute_url("collateral.asset", asset_id=asset.id)
    notifications.notify(
        recipients,
        kind=kind,
        title=title,
        body=f"Hello,\n\n{text}\n\n{link}\n",
        link=f"/collateral/assets/{asset.id}",
    )


def _review_due(sent_at: datetime, reviewing_org_ids: Sequence[int]) -> datetime:
    # The same rule as offers: the longest review window among the parties that decide.
    days = (
        db.session.scalar(
            sa.select(sa.func.max(Organization.review_business_days)).where(
                Organization.id.in_(reviewing_org_ids)
            )
        )
        or DEFAULT_REVIEW_DAYS
    )
    return add_business_days(sent_at, int(days))


# ---------------------------------------------------------------------------------------------
# Assets and versions


def _make_version(
    actor: Actor, asset: CollateralAsset, number: int, data: VersionInput
) -> CollateralVersion:
    note = _text(data.note, "note", MAX_COMMENT)
    if data.stream is not None and data.link:
        raise ValidationFailed("Upload a file or give a link, not both.", field="file")
    version = CollateralVersion(
        asset_id=asset.id,
        number=number,
        author_id=actor.user_id,
        author_organization_id=actor.organization_id,
        note=note,
    )
    if asset.kind == AssetKind.LINK.value:
        if data.stream is not None:
            raise ValidationFailed("This asset is a link: give its new address.", field="link")
        version.link_url = _clean_link(data.link)
    else:
        if data.stream is None:
            raise ValidationFailed("Choose a file to upload.", field="file")
        stored = files.store(data.stream)
        version.file_hash = stored.file_hash
        version.file_size = stored.size
        version.media_type = stored.file_type.media_type
        version.filename = files.clean_filename(data.filename)
        version.thumbnail = stored.thumbnail
    db.session.add(version)
    db.session.flush()
    return version


def _send_for_review(
    actor: Actor,
    asset: CollateralAsset,
    version: CollateralVersion,
    *,
    now: datetime | None = None,
) -> None:
    """The author's company approves its own version; the other parties review it by the due
    date. With no other party the asset is ready at once. ``actor`` sent it: the version's
    author, or whoever sent the offer a draft waited for."""
    now = now or utcnow()
    db.session.add(
        CollateralReview(
            asset_id=asset.id,
            version_id=version.id,
            organization_id=version.author_organization_id,
            user_id=version.author_id,
            decision=ReviewDecision.APPROVED.value,
            implicit=True,
        )
    )
    reviewers = [p for p in _asset_party_ids(asset.id) if p != version.author_organization_id]
    if not reviewers:
        asset.status = workflow.next_status(asset.status, "all_approved").value
        asset.ready_at = now
        return
    version.review_due_at = _review_due(now, reviewers)
    _notify_asset(
        asset,
        _people(reviewers, DECIDERS, actor.user_id),
        kind="collateral_review",
        title=f"Please review: {asset.title} (version {version.number})",
        text=f"{actor.user.name} of {actor.user.organization.name} sent "
        f"\u201c{asset.title}\u201d (version {version.number}) for your creative review by "
        f"{version.review_due_at:%A %d %B %Y, %H:%M} UTC.",
    )


def _new_asset(
    actor: Actor,
    data: AssetInput,
    first: VersionInput,
    *,
    home_parties: set[int],
    campaign_id: int | None = None,
    offer_id: int | None = None,
) -> tuple[CollateralAsset, CollateralVersion]:
    """An asset owned by some of ``home_parties`` (the campaign's or the offer's), always
    including the creator's company, with its first version; not yet sent for review."""
    title = _text(data.title, "title", 200, required=True)
    description = _text(data.description, "description", MAX_DESCRIPTION)
    if data.audience not in {a.value for a in Audience}:
        raise ValidationFailed("Choose who the material is for.", field="audience")
    owners = set(data.party_ids) | {actor.organization_id}
    if not owners <= home_parties:
        where = "campaign" if campaign_id is not None else "offer"
        raise ValidationFailed(f"Only parties of this {where} can own its assets.", field="parties")
    asset = CollateralAsset(
        campaign_id=campaign_id,
        offer_id=offer_id,
        organization_id=actor.organization_id,
        kind=AssetKind.LINK.value if first.link and first.stream is None else AssetKind.FILE.value,
        title=title,
        description=description,
        audience=data.audience,
        status=ReviewStatus.IN_REVIEW.value,
        current_version_number=1,
        created_by_id=actor.user_id,
    )
    db.session.add(asset)
    db.session.flush()
    for organization_id in sorted(owners):
        db.session.add(CollateralAssetParty(asset_id=asset.id, organization_id=organization_id))
    db.session.flush()
    return asset, _make_version(actor, asset, 1, first)


@transactional
def create_asset(
    actor: Actor, campaign_id: int, data: AssetInput, first: VersionInput
) -> CollateralAsset:
    authorize(actor.user, Action.MANAGE_COLLATERAL)
    campaign = visible_campaign(actor, campaign_id)
    campaign_parties = set(_campaign_party_ids(campaign.id))
    asset, version = _new_asset(
        actor, data, first, home_parties=campaign_parties, campaign_id=campaign.id
    )
    _send_for_review(actor, asset, version)
    audit.record(
        "collateral.asset_created",
        actor=actor,
        organization_ids=sorted(campaign_parties),
        target=asset,
        campaign_id=campaign.id,
        file_hash=version.file_hash,
    )
    with _committing():
        pass
    return asset


@transactional
def create_offer_asset(
    actor: Actor, offer_id: int, data: AssetInput, first: VersionInput
) -> CollateralAsset:
    """A draft material on an open offer. While the offer is unsent nobody else sees it and no
    review request goes out (the offer's sending starts it); once sent, it is sent for review
    at once, as on a campaign."""
    authorize(actor.user, Action.MANAGE_COLLATERAL)
    offer = _visible_offer(actor, offer_id, lock=True)
    if offer.status == OfferStatus.APPROVED.value:
        raise Conflict(
            "This offer was approved: add materials in the library of its joint campaign."
        )
    _require_open(offer)
    asset, version = _new_asset(
        actor,
        data,
        first,
        home_parties=set(offer_access.offer_party_ids(offer.id)),
        offer_id=offer.id,
    )
    if not _is_unsent(offer):
        _send_for_review(actor, asset, version)
    audit.record(
        "collateral.asset_created",
        actor=actor,
        organization_ids=_home_party_ids(asset, offer),
        target=asset,
        offer_id=offer.id,
        file_hash=version.file_hash,
    )
    with _committing():
        pass
    return asset


@transactional
def add_version(actor: Actor, asset_id: int, data: VersionInput) -> CollateralVersion:
    authorize(actor.user, Action.MANAGE_COLLATERAL)
    asset, offer = _load_for_change(actor, asset_id)
    if actor.organization_id not in _asset_party_ids(asset.id):
        raise Forbidden("Only the companies this asset belongs to can make a new version.")
    if offer is not None:
        _require_open(offer)
    asset.status = workflow.next_status(asset.status, "new_version").value
    asset.ready_at = None
    asset.current_version_number += 1
    asset.updated_at = utcnow()
    version = _make_version(actor, asset, asset.current_version_number, data)
    if not _is_unsent(offer):  # a draft on an unsent offer waits for the offer to go out
        _send_for_review(actor, asset, version)
    audit.record(
        "collateral.version_added",
        actor=actor,
        organization_ids=_home_party_ids(asset, offer),
        target=asset,
        version=version.number,
        file_hash=version.file_hash,
    )
    with _committing():
        pass
    return version


@transactional
def review(
    actor: Actor, asset_id: int, *, version_number: int, decision: str, comment: str = ""
) -> CollateralAsset:
    """An approver's decision for their company on the current version."""
    authorize(actor.user, Action.REVIEW_COLLATERAL)
    asset, offer = _load_for_change(actor, asset_id)
    parties = _asset_party_ids(asset.id)
    if actor.organization_id not in parties:
        raise Forbidden("Only the companies this asset belongs to review it.")
    if offer is not None:
        _require_open(offer)
        if _is_unsent(offer):
            raise Conflict("This draft's review starts when its offer is sent to the partners.")
    if version_number != asset.current_version_number:
        raise Conflict(
            f"Version {version_number} is no longer current: review version "
            f"{asset.current_version_number}."
        )
    try:
        choice = ReviewDecision(decision)
    except ValueError as exc:
        raise ValidationFailed("Approve or request changes.", field="decision") from exc
    comment = _text(comment, "comment", MAX_COMMENT)
    if choice is ReviewDecision.CHANGES_REQUESTED and not comment:
        raise ValidationFailed("Say what should change.", field="comment")
    version = _version(asset)
    decided = set(
        db.session.scalars(
            sa.select(CollateralReview.organization_id).where(
                CollateralReview.version_id == version.id
            )
        )
    )
    if actor.organization_id in decided:
        raise Conflict("Your company has already decided on this version.")
    step = "approve" if choice is ReviewDecision.APPROVED else "request_changes"
    if step == "approve" and set(parties) <= decided | {actor.organization_id}:
        step = "all_approved"
    asset.status = workflow.next_status(asset.status, step).value
    asset.updated_at = utcnow()
    db.session.add(
        CollateralReview(
            asset_id=asset.id,
            version_id=version.id,
            organization_id=actor.organization_id,
            user_id=actor.user_id,
            decision=choice.value,
            comment=comment,
        )
    )
    who = f"{actor.user.name} of {actor.user.organization.name}"
    if step == "all_approved":
        asset.ready_at = utcnow()
        _notify_asset(
            asset,
            _people(parties, (Role.ADMIN, Role.PARTNER_MANAGER, Role.APPROVER), actor.user_id),
            kind="collateral_review",
            title=f"Ready: {asset.title}",
            text=f"Every party approved \u201c{asset.title}\u201d (version {version.number}): "
            "it is ready for customer use.",
        )
    else:
        words = "approved" if step == "approve" else f"requested changes: {comment}"
        _notify_asset(
            asset,
            _people([version.author_organization_id], MARKETING, actor.user_id),
            kind="collateral_review",
            title=f"{choice.label}: {asset.title} (version {version.number})",
            text=f"{who} {words}",
        )
    audit.record(
        f"collateral.{choice.value}",
        actor=actor,
        organization_ids=_home_party_ids(asset, offer),
        target=asset,
        version=version.number,
    )
    with _committing():
        pass
    return asset


# ---------------------------------------------------------------------------------------------
# Reading


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


def _cards(assets: Sequence[CollateralAsset]) -> list[AssetCard]:
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
class RequestRow:
    request: CollateralRequest
    organization: str
    requester: str
    votes: int
    voted: bool
    asset_title: str | None = None


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
    return Library(campaign, parties, _cards(assets), _requests(actor, [campaign.id]))


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
        _visible_assets(actor.organization_id)
        .add_columns(Campaign.name)
        .outerjoin(Campaign, Campaign.id == CollateralAsset.campaign_id)
        .order_by(CollateralAsset.updated_at.desc(), CollateralAsset.id.desc())
        .limit(200)
    ).all()
    cards = _cards([asset for asset, _ in rows])
    campaign_names = {asset.id: name or "" for asset, name in rows}
    campaign_ids = list(
        db.session.scalars(
            sa.select(CampaignParty.campaign_id).where(
                CampaignParty.organization_id == actor.organization_id
            )
        )
    )
    names = dict(
        db.session.execute(
            sa.select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids))
        ).all()
    )
    requests = [
        (row, names.get(row.request.campaign_id, ""))
        for row in _requests(actor, campaign_ids)
        if row.request.status != RequestStatus.DELIVERED.value
    ]
    waiting = _waiting_for(actor.organization_id, [c.asset.id for c in cards])
    return Overview(
        cards=[(card, campaign_names[card.asset.id]) for card in cards],
        requests=requests,
        to_review=[c for c in cards if c.asset.id in waiting and not c.frozen],
    )


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
            .join(
                CollateralVersion,
                sa.and_(
                    CollateralVersion.asset_id == CollateralAsset.id,
                    CollateralVersion.number == CollateralAsset.current_version_number,
                ),
            )
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
    asset = _load(actor, asset_id)
    campaign = None
    if asset.campaign_id is not None:
        campaign = db.session.get(Campaign, asset.campaign_id)
        assert campaign is not None
    card = _cards([asset])[0]
    versions = list(
        db.session.scalars(
            sa.select(CollateralVersion)
            .where(CollateralVersion.asset_id == asset.id)
            .order_by(CollateralVersion.number.desc())
        )
    )
    reviews: dict[int, list[tuple[CollateralReview, str, str]]] = {}
    reviewer = sa.orm.aliased(User)
    for item, org_name, user_name in db.session.execute(
        sa.select(CollateralReview, Organization.name, reviewer.name)
        .join(Organization, Organization.id == CollateralReview.organization_id)
        .outerjoin(reviewer, reviewer.id == CollateralReview.user_id)
        .where(CollateralReview.asset_id == asset.id)
        .order_by(CollateralReview.created_at, CollateralReview.id)
    ):
        reviews.setdefault(item.version_id, []).append((item, org_name, user_name or ""))
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
    usage = [
        (u, org, name or "")
        for u, org, name in db.session.execute(
            sa.select(CollateralUsage, Organization.name, User.name)
            .join(Organization, Organization.id == CollateralUsage.organization_id)
            .outerjoin(User, User.id == CollateralUsage.user_id)
            .where(CollateralUsage.asset_id == asset.id)
            .order_by(CollateralUsage.created_at.desc(), CollateralUsage.id.desc())
            .limit(50)
        )
    ]
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
    offer = _visible_offer(actor, offer_id)
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
    return OfferDrafts(offer, title or "", parties, _cards(assets), campaign_id)


# ---------------------------------------------------------------------------------------------
# Downloads and opens: every one is counted


@dataclass(frozen=True)
class Served:
    """What to send back: a stored file (``path``) or a link to follow (``link``)."""

    path: Path | None
    file_type: files.FileType | None
    download_name: str
    inline: bool
    link: str | None = None


@transactional
def fetch(actor: Actor, asset_id: int, *, action: str, version_number: int | None = None) -> Served:
    """Record who downloaded or opened which version, then say what to send."""
    asset = _load(actor, asset_id)
    try:
        usage_action = UsageAction(action)
    except ValueError as exc:  # pragma: no cover - the views pass one of the two
        raise NotFound() from exc
    version = _version(asset, version_number)
    db.session.add(
        CollateralUsage(
            asset_id=asset.id,
            version_id=version.id,
            campaign_id=asset.campaign_id,
            organization_id=actor.organization_id,
            user_id=actor.user_id,
            action=usage_action.value,
        )
    )
    db.session.commit()
    if version.link_url:
        return Served(None, None, "", inline=False, link=version.link_url)
    file_type = files.KNOWN_TYPES.get(version.media_type or "")
    if file_type is None or not version.file_hash:  # pragma: no cover - stored ones are known
        raise NotFound()
    path = files.stored_path(version.file_hash)
    if not path.exists():
        raise NotFound()
    return Served(
        path=path,
        file_type=file_type,
        download_name=files.download_name(version.filename, file_type),
        inline=usage_action is UsageAction.OPEN and file_type.previews_inline,
    )


# ---------------------------------------------------------------------------------------------
# Requests for new materials


def _requests(actor: Actor, campaign_ids: Sequence[int]) -> list[RequestRow]:
    if not campaign_ids:
        return []
    votes = (
        sa.select(sa.func.count())
        .where(CollateralRequestVote.request_id == CollateralRequest.id)
        .correlate(CollateralRequest)
        .scalar_subquery()
    )
    voted = (
        sa.select(sa.func.count())
        .where(
            CollateralRequestVote.request_id == CollateralRequest.id,
            CollateralRequestVote.user_id == actor.user_id,
        )
        .correlate(CollateralRequest)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(
            CollateralRequest, Organization.name, User.name, votes, voted, CollateralAsset.title
        )
        .join(Organization, Organization.id == CollateralRequest.organization_id)
        .outerjoin(User, User.id == CollateralRequest.requested_by_id)
        .outerjoin(CollateralAsset, CollateralAsset.id == CollateralRequest.asset_id)
        .where(CollateralRequest.campaign_id.in_(campaign_ids))
        .order_by(CollateralRequest.created_at.desc(), CollateralRequest.id.desc())
    ).all()
    return [
        RequestRow(request, org, user or "", int(n), bool(mine), asset_title)
        for request, org, user, n, mine, asset_title in rows
    ]


def _load_request(actor: Actor, request_id: int, *, lock: bool = False) -> CollateralRequest:
    authorize(actor.user, Action.VIEW_COLLATERAL)
    mine = sa.select(CampaignParty.campaign_id).where(
        CampaignParty.organization_id == actor.organization_id
    )
    query = sa.select(CollateralRequest).where(
        CollateralRequest.id == request_id, CollateralRequest.campaign_id.in_(mine)
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = db.session.scalar(query)
    if found is None:
        raise NotFound()
    return found


@transactional
def create_request(
    actor: Actor, campaign_id: int, *, title: str, description: str = ""
) -> CollateralRequest:
    authorize(actor.user, Action.REQUEST_COLLATERAL)
    campaign = visible_campaign(actor, campaign_id)
    request = CollateralRequest(
        campaign_id=campaign.id,
        organization_id=actor.organization_id,
        requested_by_id=actor.user_id,
        title=_text(title, "title", 200, required=True),
        description=_text(description, "description", MAX_DESCRIPTION),
    )
    db.session.add(request)
    db.session.flush()
    parties = _campaign_party_ids(campaign.id)
    notifications.notify(
        _people(parties, MARKETING, actor.user_id),
        kind="collateral_request",
        title=f"Material requested: {request.title}",
        body=f"Hello,\n\n{actor.user.name} of {actor.user.organization.name} asks for a new "
        f"material on \u201c{campaign.name}\u201d: {request.title}\n\n"
        f"{absolute_url('collateral.library', campaign_id=campaign.id)}\n",
        link=f"/campaigns/{campaign.id}/collateral#requests",
    )
    audit.record("collateral.requested", actor=actor, organization_ids=parties, target=request)
    db.session.commit()
    return request


@transactional
def vote(actor: Actor, request_id: int) -> CollateralRequest:
    """+1 a request: once per user (a second +1 changes nothing)."""
    authorize(actor.user, Action.REQUEST_COLLATERAL)
    request = _load_request(actor, request_id)
    if request.status == RequestStatus.DELIVERED.value:
        raise Conflict("This request was already delivered.")
    exists = db.session.scalar(
        sa.select(CollateralRequestVote.user_id).where(
            CollateralRequestVote.request_id == request.id,
            CollateralRequestVote.user_id == actor.user_id,
        )
    )
    if exists is None:
        db.session.add(
            CollateralRequestVote(
                request_id=request.id,
                user_id=actor.user_id,
                organization_id=actor.organization_id,
            )
        )
        try:
            db.session.commit()
        except sa.exc.IntegrityError:  # a double click raced us: the +1 is there already
            db.session.rollback()
    return request


def _notify_requester(request: CollateralRequest, title: str, text: str) -> None:
    if request.requested_by_id is None:
        return
    requester = db.session.get(User, request.requested_by_id)
    if requester is None or not requester.active:
        return
    notifications.notify(
        [Recipient(requester.id, requester.email)],
        kind="collateral_request",
        title=title,
        body=f"Hello,\n\n{text}\n\n"
        f"{absolute_url('collateral.library', campaign_id=request.campaign_id)}\n",
        link=f"/campaigns/{request.campaign_id}/collateral#requests",
    )


@transactional
def take_request(actor: Actor, request_id: int) -> CollateralRequest:
    authorize(actor.user, Action.MANAGE_COLLATERAL)
    request = _load_request(actor, request_id, lock=True)
    request.status = workflow.next_request_status(request.status, "take").value
    request.taken_by_id = actor.user_id
    request.taken_by_organization_id = actor.organization_id
    request.taken_at = utcnow()
    _notify_requester(
        request,
        f"Taken: {request.title}",
        f"{actor.user.name} of {actor.user.organization.name} is making "
        f"\u201c{request.title}\u201d.",
    )
    audit.record(
        "collateral.request_taken",
        actor=actor,
        organization_ids=_campaign_party_ids(request.campaign_id),
        target=request,
    )
    db.session.commit()
    return request


@transactional
def deliver_request(actor: Actor, request_id: int, asset_id: int) -> CollateralRequest:
    """Link the asset that answers the request, and tell the requester."""
    authorize(actor.user, Action.MANAGE_COLLATERAL)
    request = _load_request(actor, request_id, lock=True)
    try:
        asset = _load(actor, asset_id)
    except NotFound as exc:
        raise ValidationFailed("Choose an asset of this campaign.", field="asset_id") from exc
    if asset.campaign_id != request.campaign_id:
        raise ValidationFailed("Choose an asset of this campaign.", field="asset_id")
    request.status = workflow.next_request_status(request.status, "deliver").value
    request.asset_id = asset.id
    request.delivered_at = utcnow()
    if request.taken_by_id is None:
        request.taken_by_id = actor.user_id
        request.taken_by_organization_id = actor.organization_id
        request.taken_at = request.delivered_at
    _notify_requester(
        request,
        f"Delivered: {request.title}",
        f"Your request \u201c{request.title}\u201d is answered by \u201c{asset.title}\u201d."
        + ("" if workflow.for_customer_use(asset.status) else " It is still in review."),
    )
    audit.record(
        "collateral.request_delivered",
        actor=actor,
        organization_ids=_campaign_party_ids(request.campaign_id),
        target=request,
        asset_id=asset.id,
    )
    db.session.commit()
    return request


# ---------------------------------------------------------------------------------------------
# Deadlines (cron, with the offers' reminders): one reminder, one overdue notice per version


@dataclass
class ReminderRun:
    reminded: int = 0
    overdue: int = 0


@transactional
def run_deadlines(now: datetime | None = None) -> ReminderRun:
    """Remind the waiting reviewers one business day before a version is due and flag it once
    overdue. Each goes once: the version remembers it was sent."""
    now = now or utcnow()
    result = ReminderRun()
    rows = db.session.execute(
        sa.select(CollateralAsset, CollateralVersion)
        .join(
            CollateralVersion,
            sa.and_(
                CollateralVersion.asset_id == CollateralAsset.id,
                CollateralVersion.number == CollateralAsset.current_version_number,
            ),
        )
        .where(
            CollateralAsset.status == ReviewStatus.IN_REVIEW.value,
            CollateralVersion.review_due_at.is_not(None),
            CollateralVersion.overdue_notice_sent_at.is_(None),
            # A draft whose offer closed is a record: nobody can review it any more.
            sa.or_(
                CollateralAsset.campaign_id.is_not(None),
                CollateralAsset.offer_id.in_(
                    sa.select(Offer.id).where(Offer.status.in_(OPEN_OFFER))
                ),
            ),
        )
        .with_for_update(of=CollateralVersion, skip_locked=True)
    ).all()
    for asset, version in rows:
        due = version.review_due_at
        assert due is not None
        decided = set(
            db.session.scalars(
                sa.select(CollateralReview.organization_id).where(
                    CollateralReview.version_id == version.id
                )
            )
        )
        waiting = [p for p in _asset_party_ids(asset.id) if p not in decided]
        if not waiting:
            continue
        if now >= due:
            version.overdue_notice_sent_at = now
            version.reminder_sent_at = version.reminder_sent_at or now
            _notify_asset(
                asset,
                _people(waiting, DECIDERS) + _people([version.author_organization_id], MARKETING),
                kind="review_overdue",
                title=f"Overdue review: {asset.title}",
                text=f"The creative review of \u201c{asset.title}\u201d (version "
                f"{version.number}) was due {due:%A %d %B %Y, %H:%M} UTC and is now overdue.",
            )
            result.overdue += 1
        elif version.reminder_sent_at is None and add_business_days(now, 1) >= due:
            version.reminder_sent_at = now
            _notify_asset(
                asset,
                _people(waiting, DECIDERS),
                kind="review_reminder",
                title=f"Review due soon: {asset.title}",
                text=f"Your creative review of \u201c{asset.title}\u201d (version "
                f"{version.number}) is due {due:%A %d %B %Y, %H:%M} UTC.",
            )
            result.reminded += 1
    db.session.commit()
    return result


# ---------------------------------------------------------------------------------------------
# Drafts follow their offer (received inside the offer's transaction: change the session, never
# commit)


@signals.offer_sent.connect
def _send_drafts_for_review(sender: Actor, /, *, offer_id: int, sent_at: datetime) -> None:
    """The offer went out: each of its drafts not yet sent for review goes now, due by the
    same business-day rule, as if just uploaded by the offer's sender."""
    sent_before = sa.exists().where(CollateralReview.version_id == CollateralVersion.id)
    rows = db.session.execute(
        sa.select(CollateralAsset, CollateralVersion)
        .join(
            CollateralVersion,
            sa.and_(
                CollateralVersion.asset_id == CollateralAsset.id,
                CollateralVersion.number == CollateralAsset.current_version_number,
            ),
        )
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
    db.session.execute(
        sa.delete(CollateralAssetParty)
        .where(
            CollateralAssetParty.asset_id.in_([asset.id for asset, _ in rows]),
            CollateralAssetParty.organization_id.not_in(offer_access.offer_party_ids(offer_id)),
        )
        .execution_options(synchronize_session=False)
    )
    for asset, version in rows:
        _send_for_review(sender, asset, version, now=sent_at)


@signals.joint_campaign_created.connect
def _adopt_drafts(sender: Actor, /, *, offer_id: int, campaign_id: int) -> None:
    """The offer became a campaign: its drafts join the campaign's library, and their earlier
    downloads count for the campaign. ``offer_id`` stays on them as their provenance."""
    drafts = sa.select(CollateralAsset.id).where(CollateralAsset.offer_id == offer_id)
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
