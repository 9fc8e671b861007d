"""The names and ids a placement appears under on the ad platforms (a Meta campaign name, a
Google campaign id ...), which results files use instead of our placement names.

A name is compared folded (:func:`fold_name`: Unicode NFKC, case-folded, runs of spaces of any
kind made one, trimmed), and a folded name means one placement within its campaign. Only the
placement's owner, by users who may write results, adds or removes them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from comarketing.accounts.names import invisible_character
from comarketing.campaigns.access import (
    audit_for_parties,
    get_visible_campaign,
    visible_campaigns,
)
from comarketing.campaigns.models import Campaign, Placement, PlacementName
from comarketing.context import Actor
from comarketing.errors import Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional

MAX_NAME = 200
MAX_PLATFORM = 40
MAX_NAMES_PER_PLACEMENT = 50


def fold_name(text: str) -> str:
    """How names are compared: NFKC, case-folded, every run of spaces (no-break, thin, tab
    ...) one plain space, trimmed. "Spring\u00a0 SALE" and "spring sale" fold the same."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


def _clean(text: str, field: str, limit: int, *, required: bool) -> str:
    cleaned = " ".join((text or "").split())
    if required and not cleaned:
        raise ValidationFailed("Give the name or id as the platform shows it.", field=field)
    if len(cleaned) > limit:
        raise ValidationFailed(f"Keep it to {limit} characters.", field=field)
    refused = invisible_character(cleaned)
    if refused:
        raise ValidationFailed(
            f"It contains an invisible or control character ({refused}); type it without it.",
            field=field,
        )
    return cleaned


def names_of(placement_ids: Iterable[int]) -> dict[int, list[PlacementName]]:
    """Each placement's platform names, oldest first (placements without any: absent)."""
    ids = list(placement_ids)
    found: dict[int, list[PlacementName]] = {}
    if not ids:
        return found
    rows = db.session.scalars(
        sa.select(PlacementName)
        .where(PlacementName.placement_id.in_(ids))
        .order_by(PlacementName.placement_id, PlacementName.id)
    )
    for row in rows:
        found.setdefault(row.placement_id, []).append(row)
    return found


def campaign_names(campaign_ids: Iterable[int]) -> dict[int, dict[str, tuple[int, str]]]:
    """Per campaign: folded name -> (placement id, the name as given)."""
    ids = list(campaign_ids)
    found: dict[int, dict[str, tuple[int, str]]] = {}
    if not ids:
        return found
    rows = db.session.execute(
        sa.select(
            PlacementName.campaign_id,
            PlacementName.folded,
            PlacementName.placement_id,
            PlacementName.name,
        ).where(PlacementName.campaign_id.in_(ids))
    )
    for campaign_id, folded, placement_id, name in rows:
        found.setdefault(campaign_id, {})[folded] = (placement_id, name)
    return found


def campaign_of(actor: Actor, placement_id: int) -> int:
    """The campaign of a placement the actor's company sees (others: NotFound)."""
    authorize(actor.user, Action.VIEW_CAMPAIGNS)
    campaign_id = db.session.scalar(
        sa.select(Placement.campaign_id).where(
            Placement.id == placement_id,
            Placement.campaign_id.in_(
                visible_campaigns(actor.organization_id).with_only_columns(Campaign.id)
            ),
        )
    )
    if campaign_id is None:
        raise NotFound()
    return campaign_id


def _own_placement(actor: Actor, campaign_id: int, placement_id: int) -> Placement:
    """The actor's company's placement (another party's: Forbidden; not visible: NotFound)."""
    authorize(actor.user, Action.WRITE_METRICS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    placement = db.session.scalar(
        sa.select(Placement).where(
            Placement.id == placement_id, Placement.campaign_id == campaign.id
        )
    )
    if placement is None:
        raise NotFound()
    if placement.owner_organization_id != actor.organization_id:
        raise Forbidden("Only the placement's owner names it.")
    return placement


@transactional
def add_name(
    actor: Actor, campaign_id: int, placement_id: int, name: str, platform: str = ""
) -> PlacementName:
    """Remember ``name`` for the placement; refused when it already means a placement of the
    campaign (a remembered name, or a placement's own name)."""
    placement = _own_placement(actor, campaign_id, placement_id)
    name = _clean(name, "name", MAX_NAME, required=True)
    platform = _clean(platform, "platform", MAX_PLATFORM, required=False)
    folded = fold_name(name)
    if len(folded) > 2 * MAX_NAME:  # NFKC spells a few characters out at length ("ﷺ")
        raise ValidationFailed("Spelled out, the name is too long; shorten it.", field="name")
    _check_free(placement, name, folded)
    count = db.session.scalar(
        sa.select(sa.func.count()).where(PlacementName.placement_id == placement.id)
    )
    if (count or 0) >= MAX_NAMES_PER_PLACEMENT:
        raise ValidationFailed(
            f"A placement keeps at most {MAX_NAMES_PER_PLACEMENT} platform names.", field="name"
        )
    row = PlacementName(
        placement_id=placement.id,
        campaign_id=placement.campaign_id,
        platform=platform,
        name=name,
        folded=folded,
        created_by_id=actor.user_id,
    )
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError as exc:  # the same name added at the same moment
        raise ValidationFailed(
            f"“{name}” was just remembered for a placement of this campaign.", field="name"
        ) from exc
    audit_for_parties("placement.name_added", actor, placement.campaign_id, row)
    db.session.commit()
    return row


def _check_free(placement: Placement, name: str, folded: str) -> None:
    taken = db.session.execute(
        sa.select(Placement.id, Placement.name)
        .join(PlacementName, PlacementName.placement_id == Placement.id)
        .where(PlacementName.campaign_id == placement.campaign_id, PlacementName.folded == folded)
    ).first()
    if taken is not None:
        raise ValidationFailed(
            f"“{name}” already finds placement {taken.name} (#{taken.id}) in this campaign.",
            field="name",
        )
    for other_id, other_name in db.session.execute(
        sa.select(Placement.id, Placement.name).where(
            Placement.campaign_id == placement.campaign_id
        )
    ):
        if fold_name(other_name) == folded:
            owner = (
                "this placement's own name"
                if other_id == placement.id
                else (f"the name of placement {other_name} (#{other_id})")
            )
            raise ValidationFailed(f"“{name}” is {owner} in this campaign.", field="name")


@transactional
def remove_name(actor: Actor, campaign_id: int, placement_id: int, name_id: int) -> PlacementName:
    """Forget a platform name; the row removed (detached) is returned."""
    placement = _own_placement(actor, campaign_id, placement_id)
    row = db.session.scalar(
        sa.select(PlacementName).where(
            PlacementName.id == name_id, PlacementName.placement_id == placement.id
        )
    )
    if row is None:
        raise NotFound()
    audit_for_parties("placement.name_removed", actor, placement.campaign_id, row)
    db.session.delete(row)
    db.session.commit()
    return row
