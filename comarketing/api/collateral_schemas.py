"""Request and response schemas of the collateral API (``api.collateral`` and
``api.collateral_requests``); ``api.collateral_answers`` fills the response schemas."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, File, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from comarketing.api import schemas
from comarketing.collateral.common import MAX_COMMENT, MAX_DESCRIPTION
from comarketing.collateral.files import ALLOWED_DESCRIPTION
from comarketing.collateral.models import (
    AssetKind,
    Audience,
    RequestStatus,
    ReviewDecision,
    ReviewStatus,
)

STATUSES = [s.value for s in ReviewStatus]
_FILE = f"{ALLOWED_DESCRIPTION}; recognised by content, not by the name."
_LINK = "An http:// or https:// address, for a link asset (instead of a file)."


def _id(**kwargs: Any) -> Integer:
    return schemas.QueryInteger(validate=Range(min=1, max=schemas.MAX_ID), **kwargs)


# ---------------------------------------------------------------------------------------------
# Input


class AssetQuery(schemas.PageQuery):
    campaign = _id(
        load_default=None, metadata={"description": "Only this campaign's library (yours)."}
    )
    offer = _id(
        load_default=None,
        metadata={"description": "Only the materials drafted on this offer (one you see)."},
    )
    status = String(load_default=None, validate=OneOf(STATUSES))


class OfferPath(Schema):
    offer_id = _id(required=True)


class AssetPath(Schema):
    asset_id = _id(required=True)


class RequestPath(Schema):
    request_id = _id(required=True)


class AssetIn(Schema):
    title = String(required=True, validate=Length(min=1, max=200))
    description = String(load_default="", validate=Length(max=MAX_DESCRIPTION))
    audience = String(
        load_default=Audience.SALES.value, validate=OneOf([a.value for a in Audience])
    )
    parties = List(
        _id(),
        load_default=None,
        validate=Length(max=50),
        metadata={
            "description": "Ids of the companies whose brands it carries (each approves every "
            "version); repeat the field for each. Default: every party of the campaign. Your "
            "own company always is one."
        },
    )
    file = File(metadata={"description": _FILE})
    link = String(load_default="", validate=Length(max=1000), metadata={"description": _LINK})
    note = String(load_default="", validate=Length(max=MAX_COMMENT))


class VersionIn(Schema):
    file = File(metadata={"description": _FILE + " For a file asset."})
    link = String(load_default="", validate=Length(max=1000), metadata={"description": _LINK})
    note = String(
        load_default="", validate=Length(max=MAX_COMMENT), metadata={"description": "What changed."}
    )


class ReviewIn(Schema):
    version = Integer(
        strict=True,
        required=True,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "The version decided on: the current one (else 409)."},
    )
    decision = String(required=True, validate=OneOf([d.value for d in ReviewDecision]))
    comment = String(
        load_default="",
        validate=Length(max=MAX_COMMENT),
        metadata={"description": "Required when requesting changes."},
    )


class DownloadQuery(Schema):
    version = _id(load_default=None, metadata={"description": "Default: the current version."})


class RequestIn(Schema):
    title = String(
        required=True, validate=Length(min=1, max=200), metadata={"description": "What you need."}
    )
    description = String(load_default="", validate=Length(max=MAX_DESCRIPTION))


class DeliverIn(Schema):
    asset_id = Integer(
        strict=True,
        required=True,
        validate=Range(min=1, max=schemas.MAX_ID),
        metadata={"description": "An asset of the request's campaign that answers it."},
    )


# ---------------------------------------------------------------------------------------------
# Output


class VersionOut(Schema):
    number = Integer(strict=True, required=True)
    note = String(required=True)
    filename = String(required=True, metadata={"description": "Empty for a link."})
    media_type = String(required=True, allow_none=True)
    size = Integer(strict=True, required=True, allow_none=True, metadata={"description": "Bytes"})
    link = String(required=True, allow_none=True)
    author_organization_id = Integer(strict=True, required=True)
    created_at = DateTime(required=True)
    review_due_at = DateTime(
        required=True, allow_none=True, metadata={"description": "null: not sent for review."}
    )


class AssetSummary(Schema):
    id = Integer(strict=True, required=True)
    title = String(required=True)
    description = String(required=True)
    kind = String(required=True, validate=OneOf([k.value for k in AssetKind]))
    audience = String(required=True, validate=OneOf([a.value for a in Audience]))
    status = String(required=True, validate=OneOf(STATUSES))
    for_customer_use = Boolean(
        required=True, metadata={"description": "Only a ready asset (every party approved)."}
    )
    campaign_id = Integer(strict=True, required=True, allow_none=True)
    offer_id = Integer(strict=True, required=True, allow_none=True)
    offer_status = String(
        required=True, allow_none=True, metadata={"description": "A draft on an offer: its status"}
    )
    owners = List(String(), required=True, metadata={"description": "The companies' names."})
    overdue = Boolean(required=True, metadata={"description": "In review past its due time."})
    uses = Integer(strict=True, required=True, metadata={"description": "Downloads and opens."})
    current_version = Nested(VersionOut, required=True)
    created_at = DateTime(required=True)
    updated_at = DateTime(required=True)
    ready_at = DateTime(required=True, allow_none=True)


class AssetPage(Schema):
    items = List(Nested(AssetSummary), required=True)
    page = Integer(strict=True, required=True)
    per_page = Integer(strict=True, required=True)
    total = Integer(strict=True, required=True)
    has_more = Boolean(required=True)


class ReviewOut(Schema):
    organization = Nested(schemas.OrganizationRef, required=True)
    decision = String(required=True, validate=OneOf([d.value for d in ReviewDecision]))
    comment = String(required=True)
    reviewer = String(required=True)
    implicit = Boolean(required=True, metadata={"description": "The author's own company."})
    created_at = DateTime(required=True)


class VersionDetail(VersionOut):
    reviews = List(Nested(ReviewOut), required=True)


class OwnerReview(Schema):
    organization = Nested(schemas.OrganizationRef, required=True)
    decision = String(
        required=True,
        allow_none=True,
        validate=OneOf([d.value for d in ReviewDecision]),
        metadata={"description": "On the current version; null: not decided yet."},
    )


class UsageOut(Schema):
    action = String(required=True, validate=OneOf(["download", "open"]))
    organization = String(required=True)
    user = String(required=True)
    created_at = DateTime(required=True)


class AssetDetail(AssetSummary):
    versions = List(Nested(VersionDetail), required=True, metadata={"description": "Newest first"})
    current_reviews = List(Nested(OwnerReview), required=True)
    recent_usage = List(Nested(UsageOut), required=True, metadata={"description": "Latest 50."})
    may_review = Boolean(required=True)
    may_add_version = Boolean(required=True)


class RequestOut(Schema):
    id = Integer(strict=True, required=True)
    campaign_id = Integer(strict=True, required=True)
    status = String(required=True, validate=OneOf([s.value for s in RequestStatus]))
    title = String(required=True)
    description = String(required=True)
    organization = String(required=True, metadata={"description": "The requesting company."})
    requester = String(required=True)
    votes = Integer(strict=True, required=True, metadata={"description": "+1s"})
    voted = Boolean(required=True, metadata={"description": "You gave it a +1."})
    asset_id = Integer(strict=True, required=True, allow_none=True)
    asset_title = String(required=True, allow_none=True)
    created_at = DateTime(required=True)
    taken_at = DateTime(required=True, allow_none=True)
    delivered_at = DateTime(required=True, allow_none=True)


class RequestList(Schema):
    items = List(Nested(RequestOut), required=True)


class PartyUses(Schema):
    organization_id = Integer(strict=True, required=True)
    uses = Integer(strict=True, required=True)


class ReportRow(Schema):
    asset_id = Integer(strict=True, required=True)
    title = String(required=True)
    campaign_id = Integer(strict=True, required=True)
    campaign_name = String(required=True)
    status = String(required=True, validate=OneOf(STATUSES))
    audience = String(required=True)
    uses = Integer(strict=True, required=True, metadata={"description": "Downloads and opens."})
    uses_since_ready = Integer(strict=True, required=True)
    hours_to_ready = Float(
        required=True, allow_none=True, metadata={"description": "Created to ready, 1 decimal."}
    )
    by_party = List(Nested(PartyUses), required=True)


class ReportOut(Schema):
    title = String(required=True)
    parties = List(Nested(schemas.OrganizationRef), required=True)
    total_uses = Integer(strict=True, required=True, metadata={"description": "Downloads, opens"})
    ready = Integer(strict=True, required=True, metadata={"description": "Ready assets."})
    ready_unused = Integer(
        strict=True, required=True, metadata={"description": "Ready, never used since ready."}
    )
    ready_unused_share = String(
        required=True,
        allow_none=True,
        metadata={"description": "ready_unused / ready, 4 decimals; null with no ready asset."},
    )
    median_hours_to_ready = Float(required=True, allow_none=True)
    rows = List(Nested(ReportRow), required=True)
