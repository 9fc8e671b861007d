"""The JSON API, /api/v1. Thin: parse, call the same services as the HTML pages, serialise.

Authentication is a bearer token only (see :mod:`comarketing.api.auth`), so the blueprint is
exempt from CSRF: no cookie ever authenticates a request here.
"""

from __future__ import annotations

import hashlib
from typing import Any

from apiflask import APIBlueprint
from flask import Flask, Response, current_app, request
from flask_limiter.util import get_remote_address

from comarketing.api import errors, schemas
from comarketing.api.auth import auth, current_actor, current_caller
from comarketing.campaigns import listing
from comarketing.campaigns.models import Campaign, Placement
from comarketing.extensions import csrf, limiter

bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="API")
csrf.exempt(bp)


def _caller_key() -> str:
    """Each token has its own allowance, keyed by a digest of the token so that no secret sits
    in the limiter's storage; a request without a token counts against its address."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return "token:" + hashlib.sha256(token.strip().encode()).hexdigest()[:32]
    return "ip:" + get_remote_address()


def _auth_failed(response: Response) -> bool:
    return response.status_code == 401


# A runaway script slows down alone (per token); guessing tokens is limited per address, as
# made-up tokens would each get a fresh allowance of their own above.
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=_caller_key, scope="api")(bp)
limiter.limit(
    lambda: current_app.config["API_AUTH_FAILURE_LIMIT"],
    key_func=get_remote_address,
    deduct_when=_auth_failed,
    scope="api-auth-failures",
)(bp)

# The errors every operation may answer, each with the one error schema.
ERRORS = errors.DOCUMENTED_ERRORS


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


def _placement(placement: Placement, currency: str, names: dict[int, str]) -> dict[str, Any]:
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
    }


@bp.get("/me")
@bp.auth_required(auth)
@bp.output(schemas.Me)
@bp.doc(operation_id="getMe", responses=ERRORS)
def me() -> dict[str, Any]:
    """Who the token acts as

    The token's user, their organization and the token's scope.
    """
    caller = current_caller()
    user = caller.user
    return {
        "user": {"id": user.id, "email": user.email, "name": user.name, "role": user.role},
        "organization": {"id": user.organization.id, "name": user.organization.name},
        "token": {"scope": caller.scope},
    }


@bp.get("/campaigns")
@bp.auth_required(auth)
@bp.input(schemas.PageQuery, location="query", arg_name="query")
@bp.output(schemas.CampaignPage)
@bp.doc(operation_id="listCampaigns", responses=ERRORS)
def list_campaigns(query: dict[str, int]) -> dict[str, Any]:
    """List campaigns

    Campaigns the organization is a party to (joint and solo), newest start first.
    """
    page = listing.list_campaigns(current_actor(), page=query["page"], per_page=query["per_page"])
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
    view = listing.get_campaign(current_actor(), campaign_id)
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


@bp.get("/campaigns/<int:campaign_id>/placements")
@bp.auth_required(auth)
@bp.input(schemas.CampaignPath, location="path", arg_name="path")
@bp.output(schemas.PlacementList)
@bp.doc(operation_id="listPlacements", responses=ERRORS)
def list_placements(campaign_id: int, path: dict[str, int]) -> dict[str, Any]:
    """List a campaign's placements

    Every placement of the campaign, whichever party owns it, by start date.
    """
    view = listing.get_campaign(current_actor(), campaign_id)
    names = view.party_names
    return {
        "items": [_placement(p, view.campaign.currency, names) for p in view.placements],
    }


def install(app: Flask) -> None:
    """Register the API and describe it in the OpenAPI document at /api/v1/openapi.json."""
    from comarketing.api import audiences, dashboard, metrics, reports  # noqa: F401 - add routes
    from comarketing.api.pages import bp as pages_bp

    app.config.update(
        HTTP_ERROR_SCHEMA=schemas.Error,
        VALIDATION_ERROR_SCHEMA=schemas.Error,
        AUTH_ERROR_DESCRIPTION="Missing, unknown, expired or revoked token",
        VALIDATION_ERROR_DESCRIPTION="Invalid input; `field` and `errors` say which",
        AUTO_SERVERS=False,
        INFO={
            "description": (
                "Comarketing's JSON API. Authenticate with a personal access token in the "
                "`Authorization: Bearer` header. Every error has the `Error` shape."
            )
        },
    )
    app.title = "Comarketing API"  # type: ignore[attr-defined]
    app.version = "1"  # type: ignore[attr-defined]
    app.register_blueprint(bp)
    app.register_blueprint(pages_bp)
