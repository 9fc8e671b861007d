"""Assets and their versions: uploading a file or giving a link, creating an asset in a
campaign's library, and making a new version that goes back into review.

Files are stored by ``files.py``; sending a version for review belongs to ``reviews.py``. Drafts
on an offer are created through ``drafts.py``, which shares :func:`new_asset`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO
from urllib.parse import urlsplit

from comarketing import audit
from comarketing.accounts.validation import clean_name
from comarketing.collateral import files, reviews, workflow
from comarketing.collateral.access import (
    asset_party_ids,
    campaign_party_ids,
    home_party_ids,
    is_unsent,
    load_for_change,
    require_open,
    visible_campaign,
)
from comarketing.collateral.common import MAX_COMMENT, MAX_DESCRIPTION, clean_text, committing
from comarketing.collateral.models import (
    AssetKind,
    Audience,
    CollateralAsset,
    CollateralAssetParty,
    CollateralVersion,
    ReviewStatus,
)
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Forbidden, ValidationFailed
from comarketing.extensions import db
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional


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


def _clean_link(link: str) -> str:
    link = (link or "").strip()
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(link) > 1000:
        raise ValidationFailed("Give a full http:// or https:// address.", field="link")
    if any(ord(ch) < 33 for ch in link):
        raise ValidationFailed("An address has no spaces or control characters.", field="link")
    return link


def _make_version(
    actor: Actor, asset: CollateralAsset, number: int, data: VersionInput
) -> CollateralVersion:
    note = clean_text(data.note, "note", MAX_COMMENT)
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


def new_asset(
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
    title = clean_name(data.title, field="title", label="Title", max_length=200)
    description = clean_text(data.description, "description", MAX_DESCRIPTION)
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
@files.removed_if_refused
def create_asset(
    actor: Actor, campaign_id: int, data: AssetInput, first: VersionInput
) -> CollateralAsset:
    authorize(actor.user, Action.MANAGE_COLLATERAL)
    campaign = visible_campaign(actor, campaign_id)
    campaign_parties = set(campaign_party_ids(campaign.id))
    asset, version = new_asset(
        actor, data, first, home_parties=campaign_parties, campaign_id=campaign.id
    )
    reviews.send_for_review(actor, asset, version)
    audit.record(
        "collateral.asset_created",
        actor=actor,
        organization_ids=sorted(campaign_parties),
        target=asset,
        campaign_id=campaign.id,
        file_hash=version.file_hash,
    )
    with committing():
        pass
    return asset


@transactional
@files.removed_if_refused
def add_version(actor: Actor, asset_id: int, data: VersionInput) -> CollateralVersion:
    authorize(actor.user, Action.MANAGE_COLLATERAL)
    asset, offer = load_for_change(actor, asset_id)
    if actor.organization_id not in asset_party_ids(asset.id):
        raise Forbidden("Only the companies this asset belongs to can make a new version.")
    if offer is not None:
        require_open(offer)
    asset.status = workflow.next_status(asset.status, "new_version").value
    asset.ready_at = None
    asset.current_version_number += 1
    asset.updated_at = utcnow()
    version = _make_version(actor, asset, asset.current_version_number, data)
    if not is_unsent(offer):  # a draft on an unsent offer waits for the offer to go out
        reviews.send_for_review(actor, asset, version)
    audit.record(
        "collateral.version_added",
        actor=actor,
        organization_ids=home_party_ids(asset, offer),
        target=asset,
        version=version.number,
        file_hash=version.file_hash,
    )
    with committing():
        pass
    return version
