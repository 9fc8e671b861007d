"""Requests for new materials on a campaign: asking, +1 votes, taking one on and delivering it
with an asset (steps from ``workflow.py``), and the request rows the pages list."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from comarketing import audit, notifications
from comarketing.accounts.models import Organization, User
from comarketing.accounts.validation import clean_name
from comarketing.collateral import workflow
from comarketing.collateral.access import (
    campaign_ids_of,
    campaign_party_ids,
    load_asset,
    visible_campaign,
)
from comarketing.collateral.common import (
    MARKETING,
    MAX_DESCRIPTION,
    about_campaign,
    clean_text,
    people,
)
from comarketing.collateral.models import (
    CollateralAsset,
    CollateralRequest,
    CollateralRequestVote,
    RequestStatus,
)
from comarketing.context import Actor
from comarketing.db import utcnow
from comarketing.errors import Conflict, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.links import absolute_url
from comarketing.notifications import About, Recipient
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional


@dataclass
class RequestRow:
    request: CollateralRequest
    organization: str
    requester: str
    votes: int
    voted: bool
    asset_title: str | None = None


def request_rows(actor: Actor, campaign_ids: Sequence[int]) -> list[RequestRow]:
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
    mine = campaign_ids_of(actor.organization_id)
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
        title=clean_name(title, field="title", label="Title", max_length=200),
        description=clean_text(description, "description", MAX_DESCRIPTION),
    )
    db.session.add(request)
    db.session.flush()
    parties = campaign_party_ids(campaign.id)
    notifications.notify(
        people(parties, MARKETING, actor.user_id),
        kind="collateral_request",
        title=f"Material requested: {request.title}",
        body=f"Hello,\n\n{actor.user.name} of {actor.user.organization.name} asks for a new "
        f"material on \u201c{campaign.name}\u201d: {request.title}\n\n"
        f"{absolute_url('collateral.library', campaign_id=campaign.id)}\n",
        link=f"/campaigns/{campaign.id}/collateral#requests",
        about=About("campaign", campaign.id, campaign.name),
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
        about=about_campaign(request.campaign_id),
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
        organization_ids=campaign_party_ids(request.campaign_id),
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
        asset = load_asset(actor, asset_id)
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
        organization_ids=campaign_party_ids(request.campaign_id),
        target=request,
        asset_id=asset.id,
    )
    db.session.commit()
    return request
