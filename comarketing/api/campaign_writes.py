"""Campaign writes over the API: create and edit solo campaigns, start / complete / cancel a
campaign, add and change placements. The same services as the campaign pages
(``campaigns.lifecycle``, ``campaigns.placements``) with their policy and checks: another
company's campaign or placement answers 404 like a missing one, a step the lifecycle does not
allow answers 409, a refused value 422 naming its field. Writing needs a write token and a
role that manages campaigns (partner manager or admin); every write honours
``Idempotency-Key``.

Money comes in as integers in minor units of the campaign's currency (``*_minor``) and goes
out in the API's money shape."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from apiflask import Schema
from apiflask.fields import Integer, String
from apiflask.validators import Length, OneOf, Range

from comarketing.api import schemas
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.campaigns import campaign_detail, placement_out
from comarketing.api.idempotency import idempotent
from comarketing.campaigns import flight_reach, lifecycle, listing, placements, platform_names
from comarketing.campaigns.models import Channel
from comarketing.dates_allowed import Date
from comarketing.money import CURRENCY_CHOICES, MAX_MINOR

WRITE_ERRORS = sorted({*ERRORS, 415})
_MINOR = "Minor units of the campaign's currency (12345 = 123.45 EUR)."


def _count(description: str, **kwargs: Any) -> Integer:
    return Integer(
        strict=True,
        allow_none=True,
        validate=Range(min=0, max=MAX_MINOR),
        metadata={"description": description},
        **kwargs,
    )


class CampaignIn(Schema):
    name = String(required=True, validate=Length(min=1, max=200))
    description = String(load_default="", validate=Length(max=5000))
    start_date = Date(required=True)
    end_date = Date(required=True, metadata={"description": "On or after start_date."})
    currency = String(required=True, validate=OneOf(CURRENCY_CHOICES))
    total_budget_minor = Integer(
        strict=True,
        load_default=0,
        validate=Range(min=0, max=MAX_MINOR),
        metadata={"description": "The planned budget. " + _MINOR},
    )
    target_reach = _count(
        "Reach goal (the summed daily reach the goal counts); null: no target.", load_default=None
    )
    target_leads = _count("Leads; null: no target.", load_default=None)
    target_revenue_minor = _count("Null: no target. " + _MINOR, load_default=None)


class CampaignChangeIn(Schema):
    """The fields to change; those left out keep their value."""

    name = String(validate=Length(min=1, max=200))
    description = String(validate=Length(max=5000))
    start_date = Date()
    end_date = Date()
    currency = String(validate=OneOf(CURRENCY_CHOICES))
    total_budget_minor = Integer(strict=True, validate=Range(min=0, max=MAX_MINOR))
    target_reach = _count("Reach goal (the summed daily reach the goal counts); null: no target.")
    target_leads = _count("Leads; null: no target.")
    target_revenue_minor = _count("Null: no target. " + _MINOR)


class PlacementIn(Schema):
    channel = String(required=True, validate=OneOf([c.value for c in Channel]))
    owner_organization_id = Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "Your own company (the default): each party adds its own."},
    )
    name = String(required=True, validate=Length(min=1, max=200))
    url = String(load_default="", validate=Length(max=500))
    start_date = Date(
        load_default=None, allow_none=True, metadata={"description": "null: the campaign's."}
    )
    end_date = Date(
        load_default=None, allow_none=True, metadata={"description": "null: the campaign's."}
    )
    planned_cost_minor = Integer(
        strict=True,
        load_default=0,
        validate=Range(min=0, max=MAX_MINOR),
        metadata={"description": _MINOR},
    )
    audience_size = _count(
        "The size of the audience the placement is planned to address, if known.", load_default=None
    )
    flight_reach = Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=Range(min=0, max=flight_reach.MAX_FLIGHT_REACH),
        metadata={"description": "The platform's deduplicated reach over the whole flight."},
    )


class PlacementChangeIn(Schema):
    """The fields to change; those left out keep their value. New dates with the stored flight
    reach clear it (it described the old flight), as on the page."""

    channel = String(validate=OneOf([c.value for c in Channel]))
    owner_organization_id = Integer(strict=True, validate=Range(min=1, max=schemas.MAX_ID))
    name = String(validate=Length(min=1, max=200))
    url = String(validate=Length(max=500))
    start_date = Date()
    end_date = Date()
    planned_cost_minor = Integer(strict=True, validate=Range(min=0, max=MAX_MINOR))
    audience_size = _count(
        "The size of the audience the placement is planned to address, if known."
    )
    flight_reach = Integer(
        strict=True, allow_none=True, validate=Range(min=0, max=flight_reach.MAX_FLIGHT_REACH)
    )


class CampaignPlacementPath(schemas.CampaignPath):
    placement_id = schemas.QueryInteger(required=True, validate=Range(min=1, max=schemas.MAX_ID))


class SavedPlacement(schemas.Placement):
    """A placement as saved (the same fields as ``Placement``)."""


# Stateful links of the OpenAPI document: what a client (or Schemathesis) may call next.
_ID = "$response.body#/id"
CAMPAIGN_LINKS = {
    name: {"operationId": name, "parameters": {"campaign_id": _ID}}
    for name in ("getCampaign", "updateCampaign", "startCampaign", "createPlacement")
}
PLACEMENT_LINKS = {
    "updatePlacement": {
        "operationId": "updatePlacement",
        "parameters": {"campaign_id": "$response.body#/campaign_id", "placement_id": _ID},
    }
}


def _detail(campaign_id: int) -> dict[str, Any]:
    return campaign_detail(listing.get_campaign(current_actor(), campaign_id, milestones=False))


@bp.post("/campaigns")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(CampaignIn, location="json", arg_name="body")
@bp.output(schemas.CampaignDetail, status_code=201, links=CAMPAIGN_LINKS)
@bp.doc(operation_id="createCampaign", responses=WRITE_ERRORS)
def create_campaign(body: dict[str, Any]) -> Any:
    """Create a solo campaign

    A campaign of your company alone, `planned`; no partner ever sees it (joint campaigns come
    from approved offers). Partner managers and admins, write token.
    """
    campaign = lifecycle.create_solo_campaign(current_actor(), lifecycle.CampaignInput(**body))
    return _detail(campaign.id), 201


@bp.patch("/campaigns/<int:campaign_id>")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(schemas.CampaignPath, location="path", arg_name="path")
@bp.input(CampaignChangeIn, location="json", arg_name="body")
@bp.output(schemas.CampaignDetail)
@bp.doc(operation_id="updateCampaign", responses=WRITE_ERRORS)
def update_campaign(campaign_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Edit a solo campaign

    Any of the fields of `createCampaign`; those left out keep their value. A joint campaign
    keeps the terms its parties approved (403). New dates must still hold every placement
    (422, `start_date`); the currency stays once money was posted (422, `currency`).
    """
    actor = current_actor()
    campaign = listing.get_campaign(actor, campaign_id, milestones=False).campaign
    current = lifecycle.CampaignInput(
        name=campaign.name,
        description=campaign.description,
        start_date=campaign.start_date,
        end_date=campaign.end_date,
        currency=campaign.currency,
        total_budget_minor=campaign.total_budget_minor,
        target_reach=campaign.target_reach,
        target_leads=campaign.target_leads,
        target_revenue_minor=campaign.target_revenue_minor,
    )
    lifecycle.update_campaign(
        actor, campaign_id, lifecycle.CampaignInput(**{**asdict(current), **body})
    )
    return _detail(campaign_id)


def _step(campaign_id: int, step: str) -> dict[str, Any]:
    lifecycle.change_status(current_actor(), campaign_id, step)
    return _detail(campaign_id)


@bp.post("/campaigns/<int:campaign_id>/start")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(schemas.CampaignPath, location="path", arg_name="path")
@bp.output(schemas.CampaignDetail)
@bp.doc(operation_id="startCampaign", responses=ERRORS)
def start_campaign(campaign_id: int, path: dict[str, int]) -> Any:
    """Start a campaign

    `planned` -> `active`, as the page's Start button. Any other status answers 409.
    """
    return _step(campaign_id, "activate")


@bp.post("/campaigns/<int:campaign_id>/complete")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(schemas.CampaignPath, location="path", arg_name="path")
@bp.output(schemas.CampaignDetail)
@bp.doc(operation_id="completeCampaign", responses=ERRORS)
def complete_campaign(campaign_id: int, path: dict[str, int]) -> Any:
    """Complete a campaign

    `active` -> `completed`. Any other status answers 409.
    """
    return _step(campaign_id, "complete")


@bp.post("/campaigns/<int:campaign_id>/cancel")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(schemas.CampaignPath, location="path", arg_name="path")
@bp.output(schemas.CampaignDetail)
@bp.doc(operation_id="cancelCampaign", responses=ERRORS)
def cancel_campaign(campaign_id: int, path: dict[str, int]) -> Any:
    """Cancel a campaign

    `planned` or `active` -> `cancelled`. A completed or cancelled campaign answers 409.
    """
    return _step(campaign_id, "cancel")


def _placement_answer(campaign_id: int, placement_id: int) -> dict[str, Any]:
    view = listing.get_campaign(current_actor(), campaign_id, milestones=False)
    found = next(p for p in view.placements if p.id == placement_id)
    names = platform_names.names_of([placement_id])
    return placement_out(found, view.campaign.currency, view.party_names, names)


@bp.post("/campaigns/<int:campaign_id>/placements")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(schemas.CampaignPath, location="path", arg_name="path")
@bp.input(PlacementIn, location="json", arg_name="body")
@bp.output(SavedPlacement, status_code=201, links=PLACEMENT_LINKS)
@bp.doc(operation_id="createPlacement", responses=WRITE_ERRORS)
def create_placement(campaign_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Add a placement

    A placement of your own company (each party adds its own; another owner answers 403)
    within the campaign's dates (422, `start_date` / `end_date`). Empty dates take the
    campaign's.
    """
    actor = current_actor()
    if body["owner_organization_id"] is None:
        body["owner_organization_id"] = actor.organization_id
    saved = placements.add_placement(actor, campaign_id, placements.PlacementInput(**body))
    return _placement_answer(campaign_id, saved.id), 201


@bp.patch("/campaigns/<int:campaign_id>/placements/<int:placement_id>")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(CampaignPlacementPath, location="path", arg_name="path")
@bp.input(PlacementChangeIn, location="json", arg_name="body")
@bp.output(SavedPlacement)
@bp.doc(operation_id="updatePlacement", responses=WRITE_ERRORS)
def update_placement(
    campaign_id: int, placement_id: int, path: dict[str, int], body: dict[str, Any]
) -> Any:
    """Change a placement

    Any of the fields of `createPlacement`; those left out keep their value. Only the owning
    company changes a placement (a partner's answers 403). Moving its dates without giving a
    new `flight_reach` clears the stored one: it described the old flight.
    """
    actor = current_actor()
    found = placements.get_placement(actor, campaign_id, placement_id)
    current = placements.PlacementInput(
        channel=found.channel,
        owner_organization_id=found.owner_organization_id,
        name=found.name,
        url=found.url,
        start_date=found.start_date,
        end_date=found.end_date,
        planned_cost_minor=found.planned_cost_minor,
        audience_size=found.audience_size,
        flight_reach=found.flight_reach,
    )
    data = placements.PlacementInput(**{**asdict(current), **body})
    placements.update_placement(actor, campaign_id, placement_id, data)
    return _placement_answer(campaign_id, placement_id)
