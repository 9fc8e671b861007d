"""Campaigns and their placements over the API: list, read one, list its placements. The same
service as the campaign pages (``campaigns.listing``); another organization's campaign
answers 404 like a missing one."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Integer, String
from apiflask.validators import Length, OneOf, Range
from flask import Response

from comarketing.api import plain_json, schemas
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.idempotency import idempotent
from comarketing.campaigns import access, flight_reach, listing, placements, platform_names
from comarketing.campaigns.models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Placement,
    PlacementName,
)
from comarketing.context import Actor
from comarketing.dates_allowed import Date
from comarketing.policy import Action, authorize


def _campaign_summary(campaign: Campaign, partners: list[str]) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "kind": campaign.kind,
        "name": campaign.name,
        "status": campaign.status,
        "start_date": campaign.start_date,
        "end_date": campaign.end_date,
        "currency": campaign.currency,
        "total_budget": schemas.money(campaign.total_budget_minor, campaign.currency),
        "partners": partners,
    }


def placement_out(
    placement: Placement,
    currency: str,
    names: dict[int, str],
    platform: dict[int, list[PlacementName]],
) -> dict[str, Any]:
    owner = placement.owner_organization_id
    return {
        "id": placement.id,
        "campaign_id": placement.campaign_id,
        "owner": {"id": owner, "name": names.get(owner, "")},
        "channel": placement.channel,
        "name": placement.name,
        "url": placement.url,
        "start_date": placement.start_date,
        "end_date": placement.end_date,
        "planned_cost": schemas.money(placement.planned_cost_minor, currency),
        "audience_size": placement.audience_size,
        "flight_reach": placement.flight_reach,
        "platform_names": [
            {"id": n.id, "platform": n.platform, "name": n.name}
            for n in platform.get(placement.id, [])
        ],
    }


def campaign_detail(view: listing.CampaignView) -> dict[str, Any]:
    """A campaign as ``CampaignDetail`` (also the answer of the campaign writes)."""
    campaign = view.campaign
    currency = campaign.currency
    return {
        "id": campaign.id,
        "kind": campaign.kind,
        "name": campaign.name,
        "description": campaign.description,
        "status": campaign.status,
        "start_date": campaign.start_date,
        "end_date": campaign.end_date,
        "currency": currency,
        "total_budget": schemas.money(campaign.total_budget_minor, currency),
        "targets": {
            "reach": campaign.target_reach,
            "leads": campaign.target_leads,
            "revenue": schemas.money(campaign.target_revenue_minor, currency),
        },
        "parties": [
            {
                "organization": {"id": organization.id, "name": organization.name},
                "budget_share_bp": party.budget_share_bp,
                "revenue_share_bp": party.revenue_share_bp,
            }
            for organization, party in view.parties
        ],
        "offer_id": campaign.offer_id,
        "created_at": campaign.created_at,
    }


class CampaignListQuery(schemas.PageQuery):
    """The campaign list page's filters."""

    kind = String(load_default=None, validate=OneOf([k.value for k in CampaignKind]))
    status = String(load_default=None, validate=OneOf([s.value for s in CampaignStatus]))
    partner = schemas.QueryInteger(
        load_default=None,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "Only joint campaigns with this partner company."},
    )
    # ``from`` is a Python keyword: the field is named in data_key.
    runs_from = Date(
        load_default=None, data_key="from", metadata={"description": "Running on or after."}
    )
    runs_to = Date(
        load_default=None, data_key="to", metadata={"description": "Running on or before."}
    )


@bp.get("/campaigns")
@bp.auth_required(auth)
@bp.input(CampaignListQuery, location="query", arg_name="query")
@bp.output(schemas.CampaignPage)
@bp.doc(operation_id="listCampaigns", responses=ERRORS)
def list_campaigns(query: dict[str, Any]) -> Response:
    """List campaigns

    Campaigns the organization is a party to (joint and solo), newest start first, filtered
    as the campaign list page filters them: `kind`, `status`, `partner`, and the days they
    run (`from`, `to`).
    """
    actor = current_actor()
    authorize(actor.user, Action.VIEW_CAMPAIGNS)  # before a kept answer, every time
    # The campaigns and their partners' names raise the company's data version.
    return plain_json.kept_answer(
        actor.organization_id,
        "campaigns",
        tuple(sorted(query.items())),
        lambda: campaign_page(actor, query),
    )


def campaign_page(actor: Actor, query: dict[str, Any]) -> dict[str, Any]:
    """``listCampaigns``' answer, before dates become text."""
    filters = listing.CampaignFilters(
        kind=query["kind"],
        status=query["status"],
        partner_id=query["partner"],
        starts_after=query["runs_from"],
        ends_before=query["runs_to"],
    )
    page = listing.list_campaigns(actor, filters, page=query["page"], per_page=query["per_page"])
    return {
        "items": [_campaign_summary(c, page.partners.get(c.id, [])) for c in page.campaigns],
        "page": page.page,
        "per_page": query["per_page"],
        "total": page.total,
        "has_more": page.has_more,
    }


@bp.get("/campaigns/<int:campaign_id>")
@bp.auth_required(auth)
@bp.input(schemas.CampaignPath, location="path", arg_name="path")
@bp.output(schemas.CampaignDetail)
@bp.doc(operation_id="getCampaign", responses=ERRORS)
def get_campaign(campaign_id: int, path: dict[str, int]) -> dict[str, Any]:
    """Get a campaign

    One campaign with its parties and their shares. Another organization's campaign answers
    404, exactly like a missing one.
    """
    return campaign_detail(listing.get_campaign(current_actor(), campaign_id, milestones=False))


@bp.get("/campaigns/<int:campaign_id>/placements")
@bp.auth_required(auth)
@bp.input(schemas.CampaignPath, location="path", arg_name="path")
@bp.output(schemas.PlacementList)
@bp.doc(operation_id="listPlacements", responses=ERRORS)
def list_placements(campaign_id: int, path: dict[str, int]) -> Response:
    """List a campaign's placements

    Every placement of the campaign, whichever party owns it, by start date.
    """
    actor = current_actor()
    access.get_visible_campaign(actor, campaign_id)  # 404 for another company's, kept or not
    # The placements, their owners' names and platform names raise the parties' data version.
    return plain_json.kept_answer(
        actor.organization_id, "placements", campaign_id, lambda: placement_list(actor, campaign_id)
    )


def placement_list(actor: Actor, campaign_id: int) -> dict[str, Any]:
    """``listPlacements``' answer, before dates become text."""
    view = listing.get_campaign(actor, campaign_id, milestones=False)
    names = view.party_names
    platform = platform_names.names_of(p.id for p in view.placements)
    return {
        "items": [
            placement_out(p, view.campaign.currency, names, platform) for p in view.placements
        ],
    }


# ---------------------------------------------------------------------------------------------
# A placement's platform names


class PlatformNameIn(Schema):
    name = String(
        required=True,
        validate=Length(min=1, max=platform_names.MAX_NAME),
        metadata={"description": "The name or id as the platform shows it in its exports."},
    )
    platform = String(
        load_default="",
        validate=Length(max=platform_names.MAX_PLATFORM),
        metadata={"description": "Which platform (optional), e.g. Meta."},
    )


class PlatformNamePath(schemas.PlacementPath):
    name_id = schemas.QueryInteger(required=True, validate=Range(min=1, max=schemas.MAX_ID))


@bp.post("/placements/<int:placement_id>/names")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(schemas.PlacementPath, location="path", arg_name="path")
@bp.input(PlatformNameIn, location="json", arg_name="body")
@bp.output(schemas.PlatformName, status_code=201)
@bp.doc(operation_id="addPlacementName", responses=sorted({*ERRORS, 415}))
def add_placement_name(placement_id: int, path: dict[str, int], body: dict[str, str]) -> Any:
    """Remember a platform name of a placement

    Rows of results files for the placement's campaign that carry this name or id find the
    placement (compared after Unicode NFKC, case folding and collapsing spaces). Refused (422,
    `name`) when it already finds a placement of the campaign or is a placement's own name.
    The placement's owning company only (partner managers and admins, write token).
    """
    actor = current_actor()
    campaign_id = platform_names.campaign_of(actor, placement_id)
    row = platform_names.add_name(actor, campaign_id, placement_id, body["name"], body["platform"])
    return {"id": row.id, "platform": row.platform, "name": row.name}, 201


@bp.delete("/placements/<int:placement_id>/names/<int:name_id>")
@bp.auth_required(auth)
@require_write
@bp.input(PlatformNamePath, location="path", arg_name="path")
@bp.output(schemas.PlatformName)
@bp.doc(operation_id="removePlacementName", responses=ERRORS)
def remove_placement_name(placement_id: int, name_id: int, path: dict[str, int]) -> Any:
    """Forget a platform name of a placement

    Rows carrying it no longer find the placement; the answer is the name removed. The
    placement's owning company only.
    """
    actor = current_actor()
    campaign_id = platform_names.campaign_of(actor, placement_id)
    row = platform_names.remove_name(actor, campaign_id, placement_id, name_id)
    return {"id": row.id, "platform": row.platform, "name": row.name}


# ---------------------------------------------------------------------------------------------
# A placement's flight reach


class FlightReachIn(Schema):
    flight_reach = Integer(
        strict=True,
        required=True,
        allow_none=True,
        validate=Range(min=0, max=flight_reach.MAX_FLIGHT_REACH),
        metadata={
            "description": "People: the platform's own deduplicated reach over the placement's "
            "whole flight (start_date to end_date); null clears it (not reported)."
        },
    )


class FlightReachOut(Schema):
    id = Integer(strict=True, required=True)
    start_date = Date(required=True)
    end_date = Date(required=True)
    flight_reach = Integer(strict=True, required=True, allow_none=True)


@bp.put("/placements/<int:placement_id>/flight-reach")
@bp.auth_required(auth)
@require_write
@bp.input(schemas.PlacementPath, location="path", arg_name="path")
@bp.input(FlightReachIn, location="json", arg_name="body")
@bp.output(FlightReachOut)
@bp.doc(operation_id="setPlacementFlightReach", responses=sorted({*ERRORS, 415}))
def set_flight_reach(placement_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Set a placement's flight reach

    The platform's own deduplicated reach over the placement's whole flight (people, not
    person-days), or null when it is not reported. Setting the value it already has changes
    nothing (PUT is idempotent). A negative or non-integer value is refused (422,
    `flight_reach`). The placement's owning company only (partner managers and admins, write
    token); another company's placement answers 404.
    """
    actor = current_actor()
    campaign_id = platform_names.campaign_of(actor, placement_id)
    row = placements.set_flight_reach(actor, campaign_id, placement_id, body["flight_reach"])
    return {
        "id": row.id,
        "start_date": row.start_date,
        "end_date": row.end_date,
        "flight_reach": row.flight_reach,
    }
