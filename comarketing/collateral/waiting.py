"""Collateral that waits on someone, for the home page: creative reviews this person may give
for their company, requests for new materials they may take (or took and still deliver), and
what their company waits on from the other parties.

One query each, whatever the number of assets. A review waits while the asset is *in review*:
once a party asked for changes, the next move is a new version by the author's company.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from comarketing.accounts.models import Organization
from comarketing.campaigns.models import Campaign
from comarketing.collateral.access import (
    IS_CURRENT_VERSION,
    OPEN_OFFER,
    campaign_ids_of,
    visible_assets,
)
from comarketing.collateral.models import (
    CollateralAsset,
    CollateralAssetParty,
    CollateralRequest,
    CollateralReview,
    CollateralVersion,
    RequestStatus,
    ReviewStatus,
)
from comarketing.context import Actor
from comarketing.extensions import db
from comarketing.offers.models import Offer
from comarketing.policy import Action, can


@dataclass(frozen=True)
class ReviewWait:
    asset_id: int
    title: str
    version: int
    due_at: datetime | None
    since: datetime
    campaign: str  # "" for a draft on an offer
    companies: tuple[str, ...] = ()  # the parties still to decide (waiting for others)


@dataclass(frozen=True)
class RequestWait:
    request_id: int
    campaign_id: int
    campaign: str
    title: str
    status: str
    since: datetime
    company: str  # who asked (to take), or who took it ("" nobody yet)


def _reviews_in_progress(organization_id: int, *columns: Any) -> sa.Select[Any]:
    """Assets the organization sees in review, with their current version sent for review
    (a draft waits for its offer to be sent) and, for a draft, its offer still open."""
    still_open = sa.select(Offer.id).where(Offer.status.in_(OPEN_OFFER))
    ids = visible_assets(organization_id).with_only_columns(CollateralAsset.id)
    return (
        sa.select(*columns)
        .select_from(CollateralAsset)
        .join(CollateralVersion, IS_CURRENT_VERSION)
        .outerjoin(Campaign, Campaign.id == CollateralAsset.campaign_id)
        .where(
            CollateralAsset.id.in_(ids),
            CollateralAsset.status == ReviewStatus.IN_REVIEW.value,
            CollateralVersion.review_due_at.is_not(None),
            sa.or_(
                CollateralAsset.campaign_id.is_not(None), CollateralAsset.offer_id.in_(still_open)
            ),
        )
    )


def _decided_by(organization_id: int | sa.SQLColumnExpression[int]) -> sa.ColumnElement[bool]:
    return sa.exists().where(
        CollateralReview.version_id == CollateralVersion.id,
        CollateralReview.organization_id == organization_id,
    )


_COLUMNS = (
    CollateralAsset.id,
    CollateralAsset.title,
    CollateralVersion.number,
    CollateralVersion.review_due_at,
    CollateralVersion.created_at,
    Campaign.name,
)


def to_review(actor: Actor) -> list[ReviewWait]:
    """Current versions of the company's assets it has not decided on, for those who review."""
    if not can(actor.user, Action.REVIEW_COLLATERAL):
        return []
    me = actor.organization_id
    rows = db.session.execute(
        _reviews_in_progress(me, *_COLUMNS)
        .join(
            CollateralAssetParty,
            sa.and_(
                CollateralAssetParty.asset_id == CollateralAsset.id,
                CollateralAssetParty.organization_id == me,
            ),
        )
        .where(~_decided_by(me))
    ).all()
    return [ReviewWait(int(i), t, int(n), due, at, name or "") for i, t, n, due, at, name in rows]


def reviews_awaiting_partners(actor: Actor) -> list[ReviewWait]:
    """Versions the company approved (or wrote) that other owners have not decided on yet."""
    me = actor.organization_id
    rows: Sequence[Any] = db.session.execute(
        _reviews_in_progress(me, *_COLUMNS, Organization.name)
        .join(
            CollateralAssetParty,
            sa.and_(
                CollateralAssetParty.asset_id == CollateralAsset.id,
                CollateralAssetParty.organization_id != me,
            ),
        )
        .join(Organization, Organization.id == CollateralAssetParty.organization_id)
        .where(_decided_by(me), ~_decided_by(CollateralAssetParty.organization_id))
        .order_by(CollateralAsset.id, Organization.name)
    ).all()
    found: dict[int, ReviewWait] = {}
    for i, title, number, due, at, campaign, company in rows:
        known = found.get(i)
        companies = (*known.companies, company) if known else (company,)
        found[i] = ReviewWait(int(i), title, int(number), due, at, campaign or "", companies)
    return list(found.values())


def _requests(*where: sa.ColumnElement[bool]) -> list[RequestWait]:
    rows = db.session.execute(
        sa.select(
            CollateralRequest.id,
            CollateralRequest.campaign_id,
            Campaign.name,
            CollateralRequest.title,
            CollateralRequest.status,
            CollateralRequest.created_at,
            Organization.name,
        )
        .join(Campaign, Campaign.id == CollateralRequest.campaign_id)
        .outerjoin(
            Organization,
            Organization.id
            == sa.case(
                (
                    CollateralRequest.status == RequestStatus.OPEN.value,
                    CollateralRequest.organization_id,
                ),
                else_=CollateralRequest.taken_by_organization_id,
            ),
        )
        .where(*where)
        .order_by(CollateralRequest.created_at, CollateralRequest.id)
    ).all()
    return [
        RequestWait(int(i), int(c), name, title, status, at, company or "")
        for i, c, name, title, status, at, company in rows
    ]


def requests_to_take(actor: Actor) -> list[RequestWait]:
    """Open requests on the company's campaigns, and the ones this person took and has not
    delivered yet: for those who make materials."""
    if not can(actor.user, Action.MANAGE_COLLATERAL):
        return []
    return _requests(
        CollateralRequest.campaign_id.in_(campaign_ids_of(actor.organization_id)),
        sa.or_(
            CollateralRequest.status == RequestStatus.OPEN.value,
            sa.and_(
                CollateralRequest.status == RequestStatus.TAKEN.value,
                CollateralRequest.taken_by_id == actor.user_id,
            ),
        ),
    )


def my_open_requests(actor: Actor) -> list[RequestWait]:
    """What this person asked for and has not received yet."""
    return _requests(
        CollateralRequest.campaign_id.in_(campaign_ids_of(actor.organization_id)),
        CollateralRequest.requested_by_id == actor.user_id,
        CollateralRequest.status != RequestStatus.DELIVERED.value,
    )
