"""Placements of a campaign: each party adds and edits its own, within the campaign's dates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

import sqlalchemy as sa

from comarketing import events
from comarketing.accounts.validation import clean_name
from comarketing.campaigns import flight_reach
from comarketing.campaigns.access import audit_for_parties, get_visible_campaign, party_ids
from comarketing.campaigns.models import Campaign, Channel, Placement
from comarketing.context import Actor
from comarketing.errors import Forbidden, NotFound, ValidationFailed
from comarketing.extensions import db
from comarketing.money import MAX_MINOR
from comarketing.policy import Action, authorize
from comarketing.unit_of_work import transactional


@dataclass
class PlacementInput:
    channel: str
    owner_organization_id: int
    name: str
    url: str
    start_date: date | None
    end_date: date | None
    planned_cost_minor: int
    audience_size: int | None = None
    # The platform's own deduplicated reach over the whole flight (None: not reported).
    flight_reach: int | None = None


def _clean_placement(
    campaign: Campaign, data: PlacementInput, parties: Sequence[int]
) -> dict[str, object]:
    if data.channel not in {c.value for c in Channel}:
        raise ValidationFailed("Choose a channel from the list.", field="channel")
    if data.owner_organization_id not in parties:
        raise ValidationFailed(
            "The owner must be a party of the campaign.", field="owner_organization_id"
        )
    name = clean_name(data.name, field="name", label="The placement's name", max_length=200)
    url = (data.url or "").strip()
    if url and not (url.startswith("https://") or url.startswith("http://")):
        raise ValidationFailed("Give a web address starting with https:// or http://.", field="url")
    if len(url) > 500:
        raise ValidationFailed("Keep the address under 500 characters.", field="url")
    start = data.start_date or campaign.start_date
    end = data.end_date or campaign.end_date
    if end < start:
        raise ValidationFailed("The end date must be on or after the start date.", field="end_date")
    if start < campaign.start_date or end > campaign.end_date:
        raise ValidationFailed(
            f"Placements run within the campaign's dates ({campaign.start_date} to "
            f"{campaign.end_date}).",
            field="start_date" if start < campaign.start_date else "end_date",
        )
    if not 0 <= data.planned_cost_minor <= MAX_MINOR:
        raise ValidationFailed("Enter a planned cost of zero or more.", field="planned_cost")
    if data.audience_size is not None and data.audience_size < 0:
        raise ValidationFailed("The audience size cannot be negative.", field="audience_size")
    reach = flight_reach.check_value(data.flight_reach)
    return {
        "channel": data.channel,
        "owner_organization_id": data.owner_organization_id,
        "name": name,
        "url": url,
        "start_date": start,
        "end_date": end,
        "planned_cost_minor": data.planned_cost_minor,
        "audience_size": data.audience_size,
        "flight_reach": reach,
    }


def _check_own_party(actor: Actor, owner_id: int) -> None:
    # Partner managers manage their own company's placements; admins act for their company too.
    if owner_id != actor.organization_id:
        raise Forbidden("You can only manage your own company's placements.")


@transactional
def add_placement(actor: Actor, campaign_id: int, data: PlacementInput) -> Placement:
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    values = _clean_placement(campaign, data, party_ids(campaign.id))
    _check_own_party(actor, data.owner_organization_id)
    placement = Placement(campaign_id=campaign.id, **values)
    db.session.add(placement)
    db.session.flush()
    audit_for_parties("placement.created", actor, campaign.id, placement)
    events.raise_(
        "placement.created",
        party_ids(campaign.id),
        **events.payloads.placement(placement, campaign.currency),
    )
    db.session.commit()
    return placement


def get_placement(actor: Actor, campaign_id: int, placement_id: int) -> Placement:
    campaign = get_visible_campaign(actor, campaign_id)
    placement = db.session.scalar(
        sa.select(Placement).where(
            Placement.id == placement_id, Placement.campaign_id == campaign.id
        )
    )
    if placement is None:
        raise NotFound()
    return placement


@transactional
def update_placement(
    actor: Actor, campaign_id: int, placement_id: int, data: PlacementInput
) -> Placement:
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    placement = get_placement(actor, campaign.id, placement_id)
    _check_own_party(actor, placement.owner_organization_id)
    values = _clean_placement(campaign, data, party_ids(campaign.id))
    _check_own_party(actor, data.owner_organization_id)
    # New dates, same flight reach: it described the old flight, so it goes (the page says so).
    start, end = cast(date, values["start_date"]), cast(date, values["end_date"])
    if flight_reach.stale_after_date_change(placement, start, end, data.flight_reach):
        values["flight_reach"] = None
    details = {}
    if placement.flight_reach != values["flight_reach"]:
        details["flight_reach"] = [placement.flight_reach, values["flight_reach"]]
    for key, value in values.items():
        setattr(placement, key, value)
    audit_for_parties("placement.updated", actor, campaign.id, placement, **details)
    events.raise_(
        "placement.changed",
        party_ids(campaign.id),
        **events.payloads.placement(placement, campaign.currency),
    )
    db.session.commit()
    return placement


@transactional
def set_flight_reach(
    actor: Actor, campaign_id: int, placement_id: int, value: int | None
) -> Placement:
    """Set (or clear, with None) the placement's flight reach alone (the API). Setting the
    value it already has changes nothing and records nothing (a repeated request is harmless)."""
    authorize(actor.user, Action.MANAGE_CAMPAIGNS)
    campaign = get_visible_campaign(actor, campaign_id, lock=True)
    placement = get_placement(actor, campaign.id, placement_id)
    _check_own_party(actor, placement.owner_organization_id)
    value = flight_reach.check_value(value)
    before = placement.flight_reach
    if before != value:
        placement.flight_reach = value
        flight_reach.audit_change(actor, placement, before, source="api")
    db.session.commit()
    return placement
