"""Creative review of an asset's versions, stepped through ``workflow.py``'s table.

Sending a version for review (its author's company approves it implicitly; the other owners
decide by a due date in business days) and each company's decision on the current version.
Deadline reminders for the reviews are in ``deadlines.py``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from comarketing import audit, events
from comarketing.accounts import work_days
from comarketing.collateral import workflow
from comarketing.collateral.access import (
    asset_party_ids,
    asset_version,
    home_party_ids,
    is_unsent,
    load_for_change,
    require_open,
)
from comarketing.collateral.common import (
    DECIDERS,
    MARKETING,
    MAX_COMMENT,
    clean_text,
    committing,
    notify_asset,
    people,
)
from comarketing.collateral.models import (
    CollateralAsset,
    CollateralReview,
    CollateralVersion,
    ReviewDecision,
)
from comarketing.context import Actor
from comarketing.dates_format import format_deadline
from comarketing.db import utcnow
from comarketing.errors import Conflict, Forbidden, ValidationFailed
from comarketing.extensions import db
from comarketing.offers.models import Offer
from comarketing.policy import Action, Role, authorize
from comarketing.unit_of_work import transactional

DEFAULT_REVIEW_DAYS = 2


def _review_due(sent_at: datetime, reviewing_org_ids: Sequence[int]) -> datetime:
    # The same rule as offers: the latest of the deciding companies' own deadlines.
    return work_days.deadline(
        sent_at, reviewing_org_ids, "review_business_days", default=DEFAULT_REVIEW_DAYS
    )


def send_for_review(
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
    reviewers = [p for p in asset_party_ids(asset.id) if p != version.author_organization_id]
    version.review_due_at = _review_due(now, reviewers) if reviewers else None
    events.raise_(
        "collateral.submitted",
        asset_party_ids(asset.id),
        asset_id=asset.id,
        version=version.number,
        title=asset.title,
        campaign_id=asset.campaign_id,
        offer_id=asset.offer_id,
        author_organization_id=version.author_organization_id,
        review_due_at=version.review_due_at,
    )
    if not reviewers:
        asset.status = workflow.next_status(asset.status, "all_approved").value
        asset.ready_at = now
        return
    notify_asset(
        asset,
        people(reviewers, DECIDERS, actor.user_id),
        kind="collateral_review",
        title=f"Please review: {asset.title} (version {version.number})",
        text=lambda tz: (
            f"{actor.user.name} of {actor.user.organization.name} sent "
            f"\u201c{asset.title}\u201d (version {version.number}) for your creative review by "
            f"{format_deadline(version.review_due_at, tz)}."
        ),
    )


def decided_organization_ids(version_id: int) -> set[int]:
    """The companies that have decided on a version (its author's implicitly, at sending)."""
    return set(
        db.session.scalars(
            sa.select(CollateralReview.organization_id).where(
                CollateralReview.version_id == version_id
            )
        )
    )


@transactional
def review(
    actor: Actor, asset_id: int, *, version_number: int, decision: str, comment: str = ""
) -> CollateralAsset:
    """An approver's decision for their company on the current version."""
    authorize(actor.user, Action.REVIEW_COLLATERAL)
    asset, offer = load_for_change(actor, asset_id)
    parties = asset_party_ids(asset.id)
    _check_reviewable(actor, asset, offer, parties, version_number)
    choice, comment = _parse_decision(decision, comment)
    version = asset_version(asset)
    decided = decided_organization_ids(version.id)
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
    if step == "all_approved":
        asset.ready_at = utcnow()
    _notify_decision(actor, asset, version, parties, step=step, choice=choice, comment=comment)
    audit.record(
        f"collateral.{choice.value}",
        actor=actor,
        organization_ids=home_party_ids(asset, offer),
        target=asset,
        version=version.number,
    )
    said = {"ready": step == "all_approved"} if step != "request_changes" else {"comment": comment}
    events.raise_(
        f"collateral.{choice.value}",
        home_party_ids(asset, offer),
        asset_id=asset.id,
        version=version.number,
        organization_id=actor.organization_id,
        **said,
    )
    with committing():
        pass
    return asset


def _check_reviewable(
    actor: Actor,
    asset: CollateralAsset,
    offer: Offer | None,
    parties: Sequence[int],
    version_number: int,
) -> None:
    """The actor's company owns the asset, a draft's offer is open and sent, and the version
    decided on is still the current one."""
    if actor.organization_id not in parties:
        raise Forbidden("Only the companies this asset belongs to review it.")
    if offer is not None:
        require_open(offer)
        if is_unsent(offer):
            raise Conflict("This draft's review starts when its offer is sent to the partners.")
    if version_number != asset.current_version_number:
        raise Conflict(
            f"Version {version_number} is no longer current: review version "
            f"{asset.current_version_number}."
        )


def _parse_decision(decision: str, comment: str) -> tuple[ReviewDecision, str]:
    try:
        choice = ReviewDecision(decision)
    except ValueError as exc:
        raise ValidationFailed("Approve or request changes.", field="decision") from exc
    comment = clean_text(comment, "comment", MAX_COMMENT)
    if choice is ReviewDecision.CHANGES_REQUESTED and not comment:
        raise ValidationFailed("Say what should change.", field="comment")
    return choice, comment


def _notify_decision(
    actor: Actor,
    asset: CollateralAsset,
    version: CollateralVersion,
    parties: Sequence[int],
    *,
    step: str,
    choice: ReviewDecision,
    comment: str,
) -> None:
    """Everyone, once every party approved; otherwise the version author's marketing people."""
    who = f"{actor.user.name} of {actor.user.organization.name}"
    if step == "all_approved":
        notify_asset(
            asset,
            people(parties, (Role.ADMIN, Role.PARTNER_MANAGER, Role.APPROVER), actor.user_id),
            kind="collateral_review",
            title=f"Ready: {asset.title}",
            text=f"Every party approved \u201c{asset.title}\u201d (version {version.number}): "
            "it is ready for customer use.",
        )
    else:
        words = "approved" if step == "approve" else f"requested changes: {comment}"
        notify_asset(
            asset,
            people([version.author_organization_id], MARKETING, actor.user_id),
            kind="collateral_review",
            title=f"{choice.label}: {asset.title} (version {version.number})",
            text=f"{who} {words}",
        )
