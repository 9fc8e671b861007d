"""A campaign's milestones over the API: list, add, mark done — what the campaign page offers
(the page neither edits nor deletes a milestone, so neither does the API). The same service
(``campaigns.milestones``): any party adds milestones for any party of the campaign; marking
one done twice changes nothing. Another company's campaign answers 404."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from comarketing.api import schemas
from comarketing.api.auth import auth, current_actor, require_write
from comarketing.api.blueprint import ERRORS, bp
from comarketing.api.idempotency import idempotent
from comarketing.campaigns import listing, milestones
from comarketing.campaigns.models import Milestone, MilestoneKind
from comarketing.dates_allowed import Date

KINDS = [k.value for k in MilestoneKind]


class MilestonePath(schemas.CampaignPath):
    milestone_id = schemas.QueryInteger(required=True, validate=Range(min=1, max=schemas.MAX_ID))


class MilestoneIn(Schema):
    kind = String(
        required=True,
        validate=OneOf(KINDS),
        metadata={"description": "`blackout`: a day no placement of the campaign may run."},
    )
    title = String(
        load_default="",
        validate=Length(max=200),
        metadata={"description": "Empty: the kind's name."},
    )
    owner_organization_id = Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "A party of the campaign; null: your own company."},
    )
    due_on = Date(required=True)


class MilestoneOut(Schema):
    id = Integer(strict=True, required=True)
    campaign_id = Integer(strict=True, required=True)
    kind = String(required=True, validate=OneOf(KINDS))
    title = String(required=True)
    owner = Nested(schemas.OrganizationRef, required=True)
    due_on = Date(required=True)
    done = Boolean(required=True)
    done_at = DateTime(required=True, allow_none=True)
    overdue = Boolean(
        required=True, metadata={"description": "Not done and due before today (UTC)."}
    )


class MilestoneList(Schema):
    items = List(Nested(MilestoneOut), required=True)


MILESTONE_LINKS = {
    "completeMilestone": {
        "operationId": "completeMilestone",
        "parameters": {
            "campaign_id": "$response.body#/campaign_id",
            "milestone_id": "$response.body#/id",
        },
    }
}


def milestone_out(milestone: Milestone, names: dict[int, str]) -> dict[str, Any]:
    owner = milestone.owner_organization_id
    return {
        "id": milestone.id,
        "campaign_id": milestone.campaign_id,
        "kind": milestone.kind,
        "title": milestone.title,
        "owner": {"id": owner, "name": names.get(owner, "")},
        "due_on": milestone.due_on,
        "done": milestone.done_at is not None,
        "done_at": milestone.done_at,
        "overdue": milestones.is_overdue(milestone),
    }


# The single-milestone operations come before the list (same path): the first registration
# of ``MilestoneOut`` in the OpenAPI document must be a direct one, not the list's nested one.


def _answer(campaign_id: int, milestone: Milestone) -> dict[str, Any]:
    view = listing.get_campaign(current_actor(), campaign_id)
    return milestone_out(milestone, view.party_names)


@bp.post("/campaigns/<int:campaign_id>/milestones")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(schemas.CampaignPath, location="path", arg_name="path")
@bp.input(MilestoneIn, location="json", arg_name="body")
@bp.output(MilestoneOut, status_code=201, links=MILESTONE_LINKS)
@bp.doc(operation_id="createMilestone", responses=sorted({*ERRORS, 415}))
def create_milestone(campaign_id: int, path: dict[str, int], body: dict[str, Any]) -> Any:
    """Add a milestone

    For any party of the campaign (422, `owner_organization_id`, for anyone else). Partner
    managers and admins, write token.
    """
    actor = current_actor()
    owner = body["owner_organization_id"] or actor.organization_id
    milestone = milestones.add_milestone(
        actor,
        campaign_id,
        kind=body["kind"],
        title=body["title"],
        owner_organization_id=owner,
        due_on=body["due_on"],
    )
    return _answer(campaign_id, milestone), 201


@bp.get("/campaigns/<int:campaign_id>/milestones")
@bp.auth_required(auth)
@bp.input(schemas.CampaignPath, location="path", arg_name="path")
@bp.output(MilestoneList)
@bp.doc(operation_id="listMilestones", responses=ERRORS)
def list_milestones(campaign_id: int, path: dict[str, int]) -> dict[str, Any]:
    """List a campaign's milestones

    Every milestone of the campaign, whichever party owns it, by due date (as the campaign
    page lists them).
    """
    view = listing.get_campaign(current_actor(), campaign_id)
    names = view.party_names
    return {"items": [milestone_out(m, names) for m in view.milestones]}


@bp.post("/campaigns/<int:campaign_id>/milestones/<int:milestone_id>/done")
@bp.auth_required(auth)
@require_write
@idempotent
@bp.input(MilestonePath, location="path", arg_name="path")
@bp.output(MilestoneOut)
@bp.doc(operation_id="completeMilestone", responses=ERRORS)
def complete_milestone(campaign_id: int, milestone_id: int, path: dict[str, int]) -> Any:
    """Mark a milestone done

    Done once: a second call changes nothing and answers the milestone as it is. A blackout
    marked done no longer blocks placements.
    """
    milestone = milestones.complete_milestone(current_actor(), campaign_id, milestone_id)
    return _answer(campaign_id, milestone)
