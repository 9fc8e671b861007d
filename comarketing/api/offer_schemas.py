"""What the offers API takes: paths, filters, and the terms a proposer sends.

Terms come in as the offer form's values, exact: money in minor units of the offer's currency
(``total_budget_minor``), shares in basis points (``budget_share_bp``: 10000 = 100 %), one
entry per party (the proposer too) and the planned placements. ``terms_input`` hands them to
the services as the form does; ``api_fields`` renames the form's field names in the services'
refusals to the API's. The answers are ``offer_answers``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from comarketing.api import schemas
from comarketing.campaigns.models import Channel
from comarketing.dates_allowed import Date
from comarketing.errors import DomainError
from comarketing.money import CURRENCY_CHOICES, MAX_MINOR, SHARE_TOTAL
from comarketing.offers.models import Decision, OfferStatus
from comarketing.offers.placement_terms import MAX_NAME, MAX_PLACEMENTS
from comarketing.offers.proposals import MAX_PARTIES
from comarketing.offers.terms import (
    MAX_COMMENT,
    PartyTermsInput,
    PlacementInput,
    TermsInput,
)

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
    target_reach = _count("Reach goal (the summed daily reach the goal counts); null: no goal.")
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
# To the services

# The services name the offer form's fields; the API names its own.
API_FIELDS = {
    "partners": "partner_ids",
    "total_budget": "total_budget_minor",
    "target_revenue": "target_revenue_minor",
    "budget_shares": "parties",
    "revenue_shares": "parties",
    "products": "parties",
}


@contextmanager
def api_fields() -> Iterator[None]:
    """A refusal of the services names the API's field (``partner_ids``, not ``partners``)."""
    try:
        yield
    except DomainError as exc:
        if exc.field in API_FIELDS:
            exc.field = API_FIELDS[exc.field]
        raise


DRAFT_EXAMPLE = {
    "partner_ids": [2],
    "title": "Spring baking week",
    "value_proposition": "Flour and shortening, one recipe card.",
    "audience": "Home bakers",
    "start_date": "2027-03-01",
    "end_date": "2027-04-30",
    "currency": "EUR",
    "total_budget_minor": 2500000,
    "target_reach": 50000,
    "target_leads": 800,
    "target_revenue_minor": None,
    "parties": [
        {
            "organization_id": 1,
            "product_ids": [1],
            "budget_share_bp": 6000,
            "revenue_share_bp": 5000,
        },
        {
            "organization_id": 2,
            "product_ids": [],
            "budget_share_bp": 4000,
            "revenue_share_bp": 5000,
        },
    ],
    "placements": [
        {
            "channel": "email",
            "owner_organization_id": 1,
            "name": "Newsletter",
            "planned_cost_minor": 500000,
        }
    ],
    "expires_on": None,
}


def terms_input(body: dict[str, Any]) -> TermsInput:
    return TermsInput(
        title=body["title"],
        value_proposition=body["value_proposition"],
        audience=body["audience"],
        start_date=body["start_date"],
        end_date=body["end_date"],
        currency=body["currency"],
        total_budget_minor=body["total_budget_minor"],
        target_reach=body["target_reach"],
        target_leads=body["target_leads"],
        target_revenue_minor=body["target_revenue_minor"],
        parties=[PartyTermsInput(**party) for party in body["parties"]],
        placements=[PlacementInput(**placement) for placement in body["placements"]],
        change_note=body["change_note"],
    )
