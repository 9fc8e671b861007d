"""Requests for new materials and the collateral usage reports over the API: list a
campaign's requests, ask for a material, +1 one, take it on, deliver it with an asset; the
usage report of a campaign or of the whole company. The same services as the library page
(``collateral.requests``, ``collateral.reports``): a request or campaign of another company
answers 404 like a missing one; a step the request workflow does not allow answers 409."""

from __future__ import annotations

from typing import Any

from comarketing.api import collateral_answers as answers
from comarketing.api import collateral_schemas as shapes
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.idempotency import idempotent
from comarketing.api.schemas import CampaignPath
from comarketing.collateral import reports, requests
from comarketing.collateral.access import visible_campaign
from comarketing.collateral.models import CollateralRequest

WRITE_ERRORS = sorted({*ERRORS, 415})


REQUEST_LINKS = {
    name: {"operationId": name, "parameters": {"request_id": "$response.body#/id"}}
    for name in ("voteCollateralRequest", "takeCollateralRequest", "deliverCollateralRequest")
}


# Creating comes before the list (same path): the first registration of ``RequestOut`` in the
# OpenAPI document must be a direct one, not the list's nested one.


def _answer(found: CollateralRequest) -> dict[str, Any]:
    rows = requests.request_rows(current_actor(), [found.campaign_id])
    return answers.request_out(next(row for row in rows if row.request.id == found.id))


@bp.post("/campaigns/<int:campaign_id>/collateral/requests")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(CampaignPath, location="path", arg_name="path")
@bp.input(shapes.RequestIn, location="json", arg_name="body")
@bp.output(shapes.RequestOut, status_code=201, links=REQUEST_LINKS)
@bp.doc(operation_id="createCollateralRequest", responses=WRITE_ERRORS)
def create_collateral_request(campaign_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Ask for a material

    The campaign's marketing people (every party's) are told. Any role that may request
    collateral, write token.
    """
    found = requests.create_request(
        current_actor(), campaign_id, title=body["title"], description=body["description"]
    )
    return _answer(found), 201


@bp.get("/campaigns/<int:campaign_id>/collateral/requests")
@bp.auth_required(auth)
@bp.input(CampaignPath, location="path", arg_name="path")
@bp.output(shapes.RequestList)
@bp.doc(operation_id="listCollateralRequests", responses=ERRORS)
def list_collateral_requests(campaign_id: int, path: dict[str, int]) -> dict[str, Any]:
    """List a campaign's material requests

    Every request of the campaign, newest first, with its +1 count and whether you gave one.
    """
    actor = current_actor()
    campaign = visible_campaign(actor, campaign_id)
    return {"items": [answers.request_out(r) for r in requests.request_rows(actor, [campaign.id])]}


@bp.post("/collateral/requests/<int:request_id>/vote")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(shapes.RequestPath, location="path", arg_name="path")
@bp.output(shapes.RequestOut)
@bp.doc(operation_id="voteCollateralRequest", responses=ERRORS)
def vote_collateral_request(request_id: int, path: dict[str, int]) -> Any:
    """+1 a request

    Once per person: a second +1 changes nothing. A delivered request answers 409.
    """
    return _answer(requests.vote(current_actor(), request_id))


@bp.post("/collateral/requests/<int:request_id>/take")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(shapes.RequestPath, location="path", arg_name="path")
@bp.output(shapes.RequestOut)
@bp.doc(operation_id="takeCollateralRequest", responses=ERRORS)
def take_collateral_request(request_id: int, path: dict[str, int]) -> Any:
    """Take a request on

    `open` -> `taken`; the requester is told. Partner managers and admins (marketing). A
    request already taken or delivered answers 409.
    """
    return _answer(requests.take_request(current_actor(), request_id))


@bp.post("/collateral/requests/<int:request_id>/deliver")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(shapes.RequestPath, location="path", arg_name="path")
@bp.input(shapes.DeliverIn, location="json", arg_name="body")
@bp.output(shapes.RequestOut)
@bp.doc(operation_id="deliverCollateralRequest", responses=WRITE_ERRORS)
def deliver_collateral_request(request_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Deliver a request

    Link the asset of the request's campaign that answers it (422 `asset_id` for any other);
    the requester is told. `open` or `taken` -> `delivered`; a delivered one answers 409.
    """
    return _answer(requests.deliver_request(current_actor(), request_id, body["asset_id"]))


@bp.get("/campaigns/<int:campaign_id>/collateral/report")
@bp.auth_required(auth)
@bp.input(CampaignPath, location="path", arg_name="path")
@bp.output(shapes.ReportOut)
@bp.doc(operation_id="campaignCollateralReport", responses=ERRORS)
def campaign_collateral_report(campaign_id: int, path: dict[str, int]) -> dict[str, Any]:
    """A campaign's collateral usage

    Per asset: downloads and opens (in all, since it became ready, and per party), review
    time; ready assets nobody used since they became ready.
    """
    return answers.report_out(reports.campaign_report(current_actor(), campaign_id))


@bp.get("/collateral/report")
@bp.auth_required(auth)
@bp.output(shapes.ReportOut)
@bp.doc(operation_id="collateralReport", responses=ERRORS)
def collateral_report() -> dict[str, Any]:
    """Your company's collateral usage

    The usage report over every campaign your company takes part in; partners' downloads of
    shared assets count.
    """
    return answers.report_out(reports.organization_report(current_actor()))
