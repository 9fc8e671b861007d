"""The offers API's answers as schemas: the offer as the offer page shows it (every revision's
terms with the shares in money, what changed, each party's approval and who gave it, the
timeline), the offers list and the discussion. ``offer_out`` fills them."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import OneOf

from comarketing.api import schemas
from comarketing.api.offer_schemas import DECISIONS, STATUSES
from comarketing.dates_allowed import Date


class OfferProduct(Schema):
    id = Integer(strict=True, required=True)
    name = String(required=True)


class OfferPartyTerms(Schema):
    organization = Nested(schemas.OrganizationRef, required=True)
    products = List(Nested(OfferProduct), required=True)
    budget_share_bp = Integer(strict=True, required=True)
    revenue_share_bp = Integer(strict=True, required=True)
    budget_commitment = Nested(
        schemas.Money,
        required=True,
        metadata={"description": "The party's share of the budget: what it commits on approval."},
    )
    revenue_target_share = Nested(
        schemas.Money,
        required=True,
        allow_none=True,
        metadata={"description": "The party's share of the revenue target; null: no target."},
    )


class OfferPlannedPlacement(Schema):
    key = String(required=True, allow_none=True)
    name = String(required=True)
    channel = String(required=True)
    owner = Nested(schemas.OrganizationRef, required=True)
    start_date = Date(required=True, allow_none=True, metadata={"description": "null: the offer's"})
    end_date = Date(required=True, allow_none=True)
    planned_cost = Nested(schemas.Money, required=True)


class OfferTermsOut(Schema):
    title = String(required=True)
    value_proposition = String(required=True)
    audience = String(required=True)
    start_date = Date(required=True)
    end_date = Date(required=True)
    currency = String(required=True)
    total_budget = Nested(schemas.Money, required=True)
    targets = Nested(schemas.Targets, required=True)
    parties = List(Nested(OfferPartyTerms), required=True)
    placements = List(Nested(OfferPlannedPlacement), required=True)
    planned_total = Nested(schemas.Money, required=True)


class OfferChange(Schema):
    field = String(required=True, metadata={"example": "Total budget"})
    before = String(required=True)
    after = String(required=True)
    kind = String(required=True, validate=OneOf(["changed", "added", "removed"]))


class OfferDecisionOut(Schema):
    decision = String(required=True, validate=OneOf(DECISIONS))
    implicit = Boolean(
        required=True, metadata={"description": "True: approved by proposing the revision."}
    )
    by = String(required=True, allow_none=True, metadata={"description": "null: a former user"})
    role = String(
        required=True,
        allow_none=True,
        metadata={"description": "admin or approver when deciding; null: not recorded."},
    )
    comment = String(required=True)
    at = DateTime(required=True)


class OfferApproval(Schema):
    organization = Nested(schemas.OrganizationRef, required=True)
    outcome = String(
        required=True,
        allow_none=True,
        validate=OneOf(DECISIONS),
        metadata={"description": "The party's answer; null: still waiting."},
    )
    waiting_for_second = Boolean(
        required=True, metadata={"description": "Approved by proposing; four eyes waits."}
    )
    decisions = List(Nested(OfferDecisionOut), required=True)


class OfferRevisionOut(Schema):
    number = Integer(strict=True, required=True)
    author_organization = Nested(schemas.OrganizationRef, required=True)
    author = String(required=True, allow_none=True)
    change_note = String(required=True)
    created_at = DateTime(required=True)
    sent_at = DateTime(required=True, allow_none=True)
    review_due_at = DateTime(required=True, allow_none=True)
    four_eyes = Boolean(required=True)
    terms = Nested(OfferTermsOut, required=True)
    changes = List(
        Nested(OfferChange),
        required=True,
        metadata={"description": "What changed since the revision before (empty for the first)."},
    )
    approvals = List(Nested(OfferApproval), required=True)


class OfferTimelineItem(Schema):
    at = DateTime(required=True)
    kind = String(required=True, validate=OneOf(["event", "comment"]))
    organization = String(required=True)
    author = String(required=True)
    text = String(required=True)


class OfferSummary(Schema):
    id = Integer(strict=True, required=True)
    title = String(required=True)
    status = String(required=True, validate=OneOf(STATUSES))
    status_text = String(
        required=True, metadata={"example": "waiting for Beta Shortening's approver"}
    )
    proposer = Nested(schemas.OrganizationRef, required=True)
    parties = List(Nested(schemas.OrganizationRef), required=True)
    current_revision = Integer(strict=True, required=True)
    review_due_at = DateTime(required=True, allow_none=True)
    overdue = Boolean(required=True)
    awaiting_me = Boolean(
        required=True, metadata={"description": "Sent and waiting for your company's answer."}
    )
    campaign_id = Integer(strict=True, required=True, allow_none=True)
    updated_at = DateTime(required=True)


class OfferPage(Schema):
    items = List(Nested(OfferSummary), required=True)
    page = Integer(strict=True, required=True)
    per_page = Integer(strict=True, required=True)
    total = Integer(strict=True, required=True)
    has_more = Boolean(required=True)


class OfferDetail(OfferSummary):
    version = Integer(
        strict=True, required=True, metadata={"description": "Send it back to detect changes."}
    )
    created_at = DateTime(required=True)
    sent_at = DateTime(required=True, allow_none=True)
    closed_at = DateTime(required=True, allow_none=True)
    expires_at = DateTime(required=True, allow_none=True)
    cloned_from_id = Integer(strict=True, required=True, allow_none=True)
    can_decide = Boolean(
        required=True, metadata={"description": "You may record your company's decision now."}
    )
    awaiting = List(
        Nested(schemas.OrganizationRef),
        required=True,
        metadata={"description": "Parties that have not approved the current revision."},
    )
    revisions = List(Nested(OfferRevisionOut), required=True)
    timeline = List(Nested(OfferTimelineItem), required=True)


class OfferComment(Schema):
    id = Integer(strict=True, required=True)
    offer_id = Integer(strict=True, required=True)
    organization = Nested(schemas.OrganizationRef, required=True)
    author = String(required=True, allow_none=True)
    body = String(required=True)
    created_at = DateTime(required=True)


class OfferCommentPage(Schema):
    items = List(Nested(OfferComment), required=True)
    page = Integer(strict=True, required=True)
    per_page = Integer(strict=True, required=True)
    total = Integer(strict=True, required=True)
    has_more = Boolean(required=True)
