"""Schemas of the offers API: the terms a proposer sends, the answers, and the offer as read.

Terms come in as the offer form's values, exact: money in minor units of the offer's currency
(``total_budget_minor``), shares in basis points (``budget_share_bp``: 10000 = 100 %), one
entry per party (the proposer too) and the planned placements. What the offer page shows comes
out: each revision's terms with the shares in money, what changed since the one before, each
party's approval and who gave it, and the timeline.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from comarketing.api import schemas
from comarketing.campaigns.models import Channel
from comarketing.dates_allowed import Date
from comarketing.money import CURRENCY_CHOICES, MAX_MINOR, SHARE_TOTAL
from comarketing.offers.models import Decision, OfferStatus
from comarketing.offers.placement_terms import MAX_NAME, MAX_PLACEMENTS
from comarketing.offers.proposals import MAX_PARTIES
from comarketing.offers.terms import MAX_COMMENT

STATUSES = [s.value for s in OfferStatus]
DECISIONS = [d.value for d in Decision]


def _id(required: bool = True) -> Integer:
    extra: dict[str, Any] = {"required": True} if required else {"load_default": None}
    return Integer(strict=True, validate=Range(min=1, max=schemas.MAX_ID), **extra)


def _count(description: str) -> Integer:
    return Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=Range(min=0, max=MAX_MINOR),
        metadata={"description": description},
    )


def _text(limit: int, description: str = "") -> String:
    return String(
        load_default="", validate=Length(max=limit), metadata={"description": description}
    )


def _version() -> Integer:
    return Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "The offer's `version` you read: 409 if it changed since."},
    )


# ---------------------------------------------------------------------------------------------
# Paths and queries


class OfferPath(Schema):
    offer_id = schemas.QueryInteger(required=True, validate=Range(min=1, max=schemas.MAX_ID))


class OfferListQuery(schemas.PageQuery):
    status = String(load_default=None, validate=OneOf(STATUSES))
    partner = schemas.QueryInteger(
        load_default=None,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "Only offers this organization is a party to."},
    )
    waiting_for_me = Boolean(
        load_default=False,
        metadata={
            "description": "Only sent offers whose current revision waits for your company's "
            "answer (the inbox)."
        },
    )


# ---------------------------------------------------------------------------------------------
# Inputs


class OfferPartyTermsIn(Schema):
    organization_id = _id()
    product_ids = List(
        Integer(strict=True, validate=Range(min=1, max=schemas.MAX_ID)),
        load_default=list,
        validate=Length(max=100),
        metadata={"description": "The party's own current products this offer is about."},
    )
    budget_share_bp = Integer(
        strict=True,
        required=True,
        validate=Range(min=0, max=SHARE_TOTAL),
        metadata={"description": "Basis points of the budget: 10000 = 100 %.", "example": 5000},
    )
    revenue_share_bp = Integer(
        strict=True,
        required=True,
        validate=Range(min=0, max=SHARE_TOTAL),
        metadata={"description": "Basis points of the revenue target.", "example": 5000},
    )


class OfferPlacementIn(Schema):
    key = String(
        load_default="",
        validate=Length(max=12),
        metadata={
            "description": "The placement's `key` from the revision before (keeps its "
            "identity in the diff); empty for a new placement."
        },
    )
    channel = String(required=True, validate=OneOf([c.value for c in Channel]))
    owner_organization_id = _id()
    name = String(required=True, validate=Length(min=1, max=MAX_NAME))
    planned_cost_minor = Integer(strict=True, required=True, validate=Range(min=0, max=MAX_MINOR))
    start_date = Date(load_default=None, allow_none=True)
    end_date = Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Both dates within the offer's, or neither: its dates."},
    )


class OfferTermsIn(Schema):
    title = String(required=True, validate=Length(min=1, max=200))
    value_proposition = _text(5000)
    audience = _text(2000)
    start_date = Date(required=True)
    end_date = Date(required=True)
    currency = String(required=True, validate=OneOf(CURRENCY_CHOICES))
    total_budget_minor = Integer(
        strict=True,
        required=True,
        validate=Range(min=1, max=MAX_MINOR),
        metadata={"description": "Minor units of `currency` (2500000 = 25,000.00 EUR)."},
    )
    target_reach = _count("People; null: no goal.")
    target_leads = _count("Leads; null: no goal.")
    target_revenue_minor = _count("Minor units of `currency`; null: no goal.")
    parties = List(
        Nested(OfferPartyTermsIn),
        required=True,
        validate=Length(min=2, max=MAX_PARTIES),
        metadata={"description": "Every party's terms once, yours too; shares add up to 10000."},
    )
    placements = List(
        Nested(OfferPlacementIn), load_default=list, validate=Length(max=MAX_PLACEMENTS)
    )
    change_note = _text(2000, "What changed and why (shown to every party).")


class OfferDraftIn(OfferTermsIn):
    partner_ids = List(
        Integer(strict=True, validate=Range(min=1, max=schemas.MAX_ID)),
        required=True,
        validate=Length(min=1, max=MAX_PARTIES - 1),
        metadata={"description": "Your active partners taking part."},
    )
    expires_on = Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Close as expired if still undecided at the end of this day."},
    )


class OfferDraftUpdateIn(OfferDraftIn):
    version = _version()


class OfferReviseIn(OfferTermsIn):
    version = _version()


class OfferSendIn(Schema):
    version = _version()


class OfferDecideIn(Schema):
    revision_number = Integer(
        strict=True,
        required=True,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "The revision you reviewed: 409 if another replaced it."},
    )
    decision = String(required=True, validate=OneOf(DECISIONS))
    comment = _text(MAX_COMMENT, "Required to request changes or reject.")


class OfferWithdrawIn(Schema):
    reason = _text(2000, "Optional; shown to the partners.")


class OfferCommentIn(Schema):
    body = String(required=True, validate=Length(min=1, max=MAX_COMMENT))


# ---------------------------------------------------------------------------------------------
# Outputs


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
